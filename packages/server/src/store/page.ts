/** Optional paging of a list: at most `limit` rows after skipping `offset`. */
export interface Page {
  limit?: number;
  offset?: number;
}

/** Applies a page to a select; an offset alone still needs a LIMIT on SQLite, so it gets the largest safe one. */
export function paged<Q extends { limit(limit: number): Q; offset(offset: number): Q }>(query: Q, page: Page = {}): Q {
  if (page.limit === undefined && page.offset === undefined) return query;
  const limited = query.limit(page.limit ?? Number.MAX_SAFE_INTEGER);
  return page.offset ? limited.offset(page.offset) : limited;
}
