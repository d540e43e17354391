import type { Command } from 'commander';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run a demo floor on this machine: brain, agents, plant; prints where to look.')
    .action(async () => {
      const { runDemo } = await import('../demo/demo.js');
      await runDemo();
    });
}
