import { execFileSync } from 'node:child_process';
import { hasAlert, type Drill } from '../drill.js';

/** The far end of the demo's veth goes down (a switch port dark); the agent sees carrier loss. */
export const nicDown: Drill = {
  name: 'nic-down',
  what: "take the demo veth workstation's link down from inside its network namespace (root)",
  expected: {
    describe: 'NIC link down on the veth host, major',
    matches: hasAlert('NicLinkDown'),
  },
  unavailable: (ctx) =>
    !ctx.demo
      ? 'needs a running `floorwatch demo` (its veth workstation)'
      : !ctx.demo.veth
        ? 'the demo has no veth workstation (it was not started as root)'
        : undefined,
  async inject(ctx) {
    const v = ctx.demo!.veth!;
    const link = (state: 'up' | 'down') => execFileSync('ip', ['-n', v.netns, 'link', 'set', v.peer, state], { stdio: 'pipe' });
    link('down');
    ctx.step(`ip -n ${v.netns} link set ${v.peer} down`);
    return async () => void link('up');
  },
};
