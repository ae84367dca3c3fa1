// The dashboard's one stylesheet and one script, read from <project>/assets/dashboard (found from PROJECT_ROOT,
// so the compiled build in dist/ serves the same files) and served from memory. URLs carry a hash of the
// content, so browsers may cache them for good and still get a new version the moment a file changes.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Router } from "express";
import { PROJECT_ROOT } from "../config/index.ts";

export const ASSETS_DIR = join(PROJECT_ROOT, "assets", "dashboard");

interface Asset {
  body: Buffer;
  type: string;
  hash: string;
}

const FILES: Record<string, string> = { "dashboard.css": "text/css; charset=utf-8", "dashboard.js": "text/javascript; charset=utf-8" };
let loaded: Map<string, Asset> | null = null;

function assets(): Map<string, Asset> {
  loaded ??= new Map(
    Object.entries(FILES).map(([name, type]) => {
      const body = readFileSync(join(ASSETS_DIR, name));
      return [name, { body, type, hash: createHash("sha256").update(body).digest("hex").slice(0, 12) }];
    }),
  );
  return loaded;
}

/** "/assets/dashboard.css?v=<hash>". */
export function assetUrl(name: keyof typeof FILES & string): string {
  const asset = assets().get(name);
  return `/assets/${name}${asset ? `?v=${asset.hash}` : ""}`;
}

export function createAssetRouter(): Router {
  const router = Router();
  router.get("/assets/:name", (req, res, next) => {
    const asset = assets().get(req.params.name);
    if (!asset) return next();
    const isVersioned = req.query.v === asset.hash;
    res.setHeader("cache-control", isVersioned ? "public, max-age=31536000, immutable" : "no-cache");
    res.setHeader("x-content-type-options", "nosniff");
    res.type(asset.type).send(asset.body);
  });
  return router;
}
