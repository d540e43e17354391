/**
 * The demo's veth workstation NIC (root only): a veth pair whose peer lives in a network
 * namespace of its own, so a drill can take the link down from the far end (as a switch port
 * going dark would) while the agent watches the near end in the root namespace.
 */
import { execFileSync } from 'node:child_process';

export interface DemoVeth {
  readonly netns: string;
  readonly local: string;
  readonly peer: string;
  remove(): void;
}

/** Undefined, with the reason, when namespaces cannot be made here. */
export function createVeth(suffix: string): DemoVeth | { unavailable: string } {
  if (process.getuid?.() !== 0) return { unavailable: 'not root: no network namespace, the nic-down drill will skip' };
  const netns = `fwdemo${suffix}`;
  const local = `fwd${suffix}a`;
  const peer = `fwd${suffix}b`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  const remove = () => {
    for (const args of [
      ['link', 'del', local],
      ['netns', 'del', netns],
    ]) {
      try {
        ip(...args);
      } catch {
        // already gone
      }
    }
  };
  try {
    remove();
    ip('netns', 'add', netns);
    ip('link', 'add', local, 'type', 'veth', 'peer', 'name', peer);
    ip('link', 'set', peer, 'netns', netns);
    ip('link', 'set', local, 'up');
    ip('-n', netns, 'link', 'set', peer, 'up');
  } catch (err) {
    remove();
    return { unavailable: `could not create a veth in a netns: ${(err as Error).message.split('\n')[0]}` };
  }
  return { netns, local, peer, remove };
}
