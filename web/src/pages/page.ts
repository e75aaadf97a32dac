/** What the router mounts: a page renders into its root and returns how to tear itself down. */
export interface Page {
  title: string;
  /** Shown in the navigation (pages without it, like the benchmark, are reachable by URL only). */
  nav?: string;
  mount(root: HTMLElement, params: URLSearchParams): () => void;
}

/** Rewrites the current hash route's parameters without reloading the page. */
export function setParams(page: string, params: URLSearchParams): void {
  const q = params.toString();
  history.replaceState(null, '', `#/${page}${q === '' ? '' : `?${q}`}`);
}
