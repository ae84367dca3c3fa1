-- One audit batch in one call whose plans PostgreSQL keeps per connection (src/audit/commit.ts). The
-- statement this replaces carried each batch as literals and was planned again for every batch, which
-- cost PostgreSQL about as much as running it. Takes the chain lock; then, in statements of their own (a
-- VOLATILE function takes a fresh snapshot per statement, so they see every batch committed before the
-- lock was granted), appends the events and upserts the calls only if the chain still ends at
-- expected_head. Returns whether it appended, and the head the chain ended at before.
CREATE OR REPLACE FUNCTION gatehouse_append_audit(chain_lock integer, genesis text, expected_head text, batch_events jsonb, batch_calls jsonb)
RETURNS TABLE (appended boolean, chain_head text) AS $$
DECLARE
  found_head text;
BEGIN
  PERFORM pg_advisory_xact_lock(chain_lock, hashtext(current_schema()));
  SELECT e.hash INTO found_head FROM audit_events AS e ORDER BY e.seq DESC LIMIT 1;
  found_head := COALESCE(found_head, genesis);
  IF found_head <> expected_head THEN
    RETURN QUERY SELECT false, found_head;
    RETURN;
  END IF;
  INSERT INTO audit_events (id, created_at, type, actor, call_id, upstream, tool, decision, rule, reason, data, prev_hash, hash)
    SELECT e.id, e.created_at, e.type, e.actor, e.call_id, e.upstream, e.tool, e.decision, e.rule, e.reason, e.data, e.prev_hash, e.hash
    FROM jsonb_to_recordset(batch_events) AS e(ord int, id uuid, created_at timestamptz, type text, actor text, call_id uuid, upstream text,
      tool text, decision text, rule text, reason text, data jsonb, prev_hash text, hash text)
    ORDER BY e.ord;
  -- A later record of the same call fills in its final state; optional columns are never blanked out.
  INSERT INTO tool_calls AS t (id, created_at, finished_at, grant_name, session_id, upstream, tool, args_redacted, args_hash,
                               decision, rule, reason, status, duration_ms, error)
    SELECT c.id, c.created_at, c.finished_at, c.grant_name, c.session_id, c.upstream, c.tool, COALESCE(c.args, 'null'::jsonb), c.args_hash,
           c.decision, c.rule, c.reason, c.status, c.duration_ms, c.error
    FROM jsonb_to_recordset(batch_calls) AS c(id uuid, created_at timestamptz, finished_at timestamptz, grant_name text, session_id text,
      upstream text, tool text, args jsonb, args_hash text, decision text, rule text, reason text, status text, duration_ms int, error text)
    ON CONFLICT (id) DO UPDATE SET
      decision = excluded.decision,
      status = excluded.status,
      rule = COALESCE(excluded.rule, t.rule),
      reason = COALESCE(excluded.reason, t.reason),
      finished_at = COALESCE(excluded.finished_at, t.finished_at),
      duration_ms = COALESCE(excluded.duration_ms, t.duration_ms),
      error = COALESCE(excluded.error, t.error);
  RETURN QUERY SELECT true, found_head;
END;
$$ LANGUAGE plpgsql;
