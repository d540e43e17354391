/**
 * Watches the directories of the configured globs with inotify (fs.watch) and reports the path
 * of every entry that changed. Deliberately not chokidar here: on every event in a watched
 * directory chokidar 5 re-lists it and lstat()s every entry, so each burst of appended lines
 * cost O(files in the directory) — 0.6 ms per event in a 20-file directory, 2.5 % of a core at
 * 10 lines/s. inotify already names the entry. A directory that does not exist yet, or that
 * vanishes, is (re)watched by ensure(), which the sampler's poll calls.
 */
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export class DirWatcher {
  readonly #watchers = new Map<string, FSWatcher>();

  constructor(
    private readonly dirs: readonly string[],
    private readonly onChange: (path: string) => void,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Starts watching every directory that exists and is not watched yet. */
  ensure(): void {
    for (const dir of this.dirs) {
      if (this.#watchers.has(dir)) continue;
      let w: FSWatcher;
      try {
        w = watch(dir, { persistent: false }, (_type, name) => {
          if (name) this.onChange(join(dir, name.toString()));
        });
      } catch {
        continue; // not there yet
      }
      w.on('error', (err) => {
        this.onError(err);
        w.close();
        this.#watchers.delete(dir);
      });
      this.#watchers.set(dir, w);
    }
  }

  close(): void {
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
  }
}
