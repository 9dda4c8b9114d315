/**
 * Which names the viewer answers to (docs/viewer.md, "Only the viewer's own page"): the Host header
 * of a page request or WebSocket upgrade must name this server, against DNS rebinding.
 */
import { hostname, networkInterfaces } from 'node:os';
import { isIPv4 } from 'node:net';

/**
 * The names a page of this server can be loaded under: loopback's, the bound address, and when
 * bound to every interface (0.0.0.0, ::) each interface's address and this host's name (and its
 * .local). A name that resolves here by DNS only (a rebinding attacker's) is not among them.
 */
export function ownHostNames(bound: string): Set<string> {
  const bracket = (h: string) => (h.includes(':') ? `[${h.toLowerCase()}]` : h.toLowerCase());
  const names = new Set<string>(['127.0.0.1', 'localhost', '[::1]', bracket(bound)]);
  if (bound === '0.0.0.0' || bound === '::') {
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) names.add(bracket(i.address));
    const h = hostname().toLowerCase();
    names.add(h);
    names.add(`${h}.local`);
  }
  return names;
}

/** The names the Host check accepts besides IP literals and localhost: this machine's name (and its .local), and each allowed origin's host. */
export function allowedHostNames(allowOrigins: readonly string[]): Set<string> {
  const h = hostname().toLowerCase();
  const names = new Set([h, `${h}.local`]);
  for (const o of allowOrigins) names.add(new URL(o).hostname.toLowerCase());
  return names;
}

/**
 * A Host header (`name[:port]`, `[v6][:port]`) names this server: no header (not a browser: every
 * browser sends one), an IP literal (a site cannot rebind one), `localhost` or a `*.localhost`
 * name (RFC 6761: browsers resolve them to loopback themselves), or one of `names`. The port is not
 * checked (a proxy may forward its own); a trailing dot is ignored.
 */
export function hostAllowed(header: string | undefined, names: ReadonlySet<string>): boolean {
  if (header === undefined) return true;
  let name: string;
  try {
    const u = new URL(`http://${header}/`);
    if (u.username !== '' || u.password !== '' || u.pathname !== '/' || `${u.host}` === '') return false;
    name = u.hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return false;
  }
  if (name.startsWith('[') || isIPv4(name)) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return names.has(name);
}
