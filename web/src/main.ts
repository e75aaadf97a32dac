/**
 * The flowlens console: a single page with hash routes (#/overview,
 * #/ai-metrics, #/heatmap, #/flows, #/drops, #/events), a dark theme by
 * default, and live data from the REST API.
 */
import './styles.css';
import { getText, setToken, token } from './api.js';
import { h, replace, setText } from './dom.js';
import { aiMetricsPage } from './pages/ai-metrics.js';
import { benchPage } from './pages/bench.js';
import { dropsPage } from './pages/drops.js';
import { eventsPage } from './pages/events.js';
import { flowsPage } from './pages/flows.js';
import { heatmapPage } from './pages/heatmap.js';
import { overviewPage } from './pages/overview.js';
import type { Page } from './pages/page.js';

const ROUTES: Record<string, Page> = {
  overview: overviewPage,
  'ai-metrics': aiMetricsPage,
  heatmap: heatmapPage,
  flows: flowsPage,
  drops: dropsPage,
  events: eventsPage,
  bench: benchPage,
};

const THEME_KEY = 'flowlens.theme';

function storedTheme(): string {
  try {
    return localStorage.getItem(THEME_KEY) ?? 'dark';
  } catch {
    return 'dark';
  }
}

function applyTheme(theme: string): void {
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // Not persisted; fine.
  }
}

function parseHash(): { name: string; params: URLSearchParams } {
  const raw = location.hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const name = (q < 0 ? raw : raw.slice(0, q)) || 'overview';
  return { name, params: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

function start(): void {
  applyTheme(storedTheme());
  const app = document.getElementById('app') as HTMLElement;
  const links = new Map<string, HTMLAnchorElement>();
  const nav = h('nav', { class: 'nav', 'aria-label': 'pages' });
  for (const [name, page] of Object.entries(ROUTES)) {
    if (page.nav === undefined) continue;
    const a = h('a', { href: `#/${name}`, 'data-page': name }, page.nav);
    links.set(name, a);
    nav.appendChild(a);
  }
  const status = h('span', { class: 'api-status', title: 'REST API' }, '…');
  const keyButton = h(
    'button',
    { class: 'icon', type: 'button', title: 'API token for changes (http.token)' },
    'token',
  );
  keyButton.addEventListener('click', () => {
    const t = window.prompt('Bearer token for changes (empty to clear):', token() ?? '');
    if (t !== null) setToken(t.trim());
    keyButton.classList.toggle('on', token() !== undefined);
  });
  keyButton.classList.toggle('on', token() !== undefined);
  const themeButton = h('button', { class: 'icon', type: 'button', title: 'light / dark' }, 'theme');
  themeButton.addEventListener('click', () => {
    applyTheme(document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark');
    route(true);
  });
  const header = h(
    'header',
    { class: 'top' },
    h('a', { class: 'brand', href: '#/overview' }, 'flowlens'),
    nav,
    h('div', { class: 'tools' }, status, keyButton, themeButton),
  );
  const main = h('main', { id: 'page' });
  replace(app, header, main);

  let current: { name: string; query: string; unmount: () => void } | undefined;
  const route = (force = false) => {
    const { name, params } = parseHash();
    const page = ROUTES[name] ?? ROUTES.overview;
    const query = params.toString();
    if (!force && current !== undefined && current.name === name && current.query === query) return;
    current?.unmount();
    replace(main);
    main.dataset.page = name;
    document.title = `${page.title} · flowlens`;
    for (const [n, a] of links) a.classList.toggle('active', n === name);
    const unmount = page.mount(main, params);
    current = { name, query, unmount };
  };
  window.addEventListener('hashchange', () => route());
  // Pages with temporary flows delete them on the way out, also when the tab closes.
  window.addEventListener('pagehide', () => {
    current?.unmount();
    current = undefined;
  });
  // Back from the browser's page cache: mount again.
  window.addEventListener('pageshow', (e) => {
    if (e.persisted) route(true);
  });
  route();

  const checkApi = async () => {
    try {
      const v = await getText('/version');
      setText(status, `live · v${v.trim()}`);
      status.classList.remove('down');
    } catch {
      setText(status, 'API unreachable');
      status.classList.add('down');
    }
  };
  void checkApi();
  window.setInterval(checkApi, 10_000);
}

start();
