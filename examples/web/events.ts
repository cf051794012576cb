/**
 * A small EventEmitter for the example page's build of @trezor/connect-web (scripts/start.ts).
 * Connect's browser code does `require('events')`, Node's built-in, which a browser lacks and
 * which no package here provides; esbuild maps that import to this file. It covers the methods
 * Connect calls (on/once/off/emit, listener bookkeeping). trezor-direct itself never uses it.
 *
 * @example const e = new EventEmitter(); e.once('x', (v) => console.log(v)); e.emit('x', 1)
 */
type Listener = (...args: any[]) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

export class EventEmitter {
  #listeners = new Map<string | symbol, { fn: Listener; raw: Listener }[]>();

  #add(name: string | symbol, fn: Listener, raw: Listener, prepend: boolean): this {
    const list = this.#listeners.get(name) ?? [];
    if (prepend) list.unshift({ fn, raw });
    else list.push({ fn, raw });
    this.#listeners.set(name, list);
    return this;
  }

  on(name: string | symbol, listener: Listener): this {
    return this.#add(name, listener, listener, false);
  }
  addListener(name: string | symbol, listener: Listener): this {
    return this.on(name, listener);
  }
  prependListener(name: string | symbol, listener: Listener): this {
    return this.#add(name, listener, listener, true);
  }
  once(name: string | symbol, listener: Listener): this {
    const wrapped: Listener = (...args) => {
      this.off(name, listener);
      listener.apply(this, args);
    };
    return this.#add(name, wrapped, listener, false);
  }
  off(name: string | symbol, listener: Listener): this {
    const list = this.#listeners.get(name);
    if (!list) return this;
    const at = list.findIndex((entry) => entry.raw === listener || entry.fn === listener);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) this.#listeners.delete(name);
    return this;
  }
  removeListener(name: string | symbol, listener: Listener): this {
    return this.off(name, listener);
  }
  removeAllListeners(name?: string | symbol): this {
    if (name === undefined) this.#listeners.clear();
    else this.#listeners.delete(name);
    return this;
  }
  emit(name: string | symbol, ...args: unknown[]): boolean {
    const list = this.#listeners.get(name);
    if (!list || list.length === 0) {
      if (name === 'error') throw args[0] instanceof Error ? args[0] : new Error(String(args[0]));
      return false;
    }
    for (const { fn } of [...list]) fn.apply(this, args);
    return true;
  }
  listenerCount(name: string | symbol): number {
    return this.#listeners.get(name)?.length ?? 0;
  }
  listeners(name: string | symbol): Listener[] {
    return (this.#listeners.get(name) ?? []).map((entry) => entry.raw);
  }
  rawListeners(name: string | symbol): Listener[] {
    return (this.#listeners.get(name) ?? []).map((entry) => entry.fn);
  }
  eventNames(): (string | symbol)[] {
    return [...this.#listeners.keys()];
  }
  setMaxListeners(): this {
    return this;
  }
  getMaxListeners(): number {
    return Infinity;
  }
}

export default EventEmitter;
