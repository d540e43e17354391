/**
 * Shell-style globs, the one translation: `*` (any run of characters but `/`), `?` (one
 * character but `/`), `[abc]`, `[a-z]`, `[!abc]` (none of them); everything else is literal.
 * A `]` right after `[` or `[!` is a member, not the end. The result is an RE2 pattern (no
 * lookarounds), like every other pattern a user writes: linear time whatever the input.
 * Used by the log sampler's file globs and the include/exclude name lists (interfaces, disks).
 */
import RE2 from 're2';

/** The RE2 source matching the whole of `glob` (anchor it yourself). */
export function globSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '[') {
      const negated = glob[i + 1] === '!';
      const first = i + (negated ? 2 : 1);
      const close = glob.indexOf(']', first + 1);
      if (close < 0) out += '\\[';
      else {
        const members = glob.slice(first, close).replace(/\\/g, '\\\\').replace(/\[/g, '\\[').replace(/^\]/, '\\]');
        out += `[${negated ? '^' : ''}${members}]`;
        i = close;
      }
    } else out += ch.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return out;
}

export interface CompiledGlob {
  test(s: string): boolean;
}

export function compileGlob(glob: string): CompiledGlob {
  const re = new RE2(`^${globSource(glob)}$`);
  return { test: (s) => re.test(s) };
}

/** A name passes when it matches some include glob and no exclude glob. */
export function nameFilter(include: readonly string[], exclude: readonly string[]): (name: string) => boolean {
  const inc = include.map(compileGlob);
  const exc = exclude.map(compileGlob);
  return (name) => inc.some((r) => r.test(name)) && !exc.some((r) => r.test(name));
}
