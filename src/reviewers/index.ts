export { addReviewer, removeReviewer, ReviewerInput, type AddReviewerOutcome, type RemoveReviewerOutcome, type ReviewerAdminDeps } from "./manage.ts";
export { createReviewerStore, REVIEWER_NAME, REVIEWER_TOKEN_PREFIX, type AddReviewerResult, type Reviewer, type ReviewerStore } from "./store.ts";
