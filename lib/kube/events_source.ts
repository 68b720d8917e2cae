/**
 * The handler types shared by what delivers object events (informers) and what
 * consumes them (controllers), so that neither imports the other: as client-go's
 * cache package owns `ResourceEventHandler`.
 *
 * @module
 */

/** Callbacks for the objects of one source; each is optional. */
export interface EventHandler<T> {
  add?(obj: T): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T): void;
}

/** Anything that delivers object events, e.g. an informer of any cluster. */
export interface EventSource<T> {
  /** Registers a handler; returns a function that unregisters it. */
  addEventHandler(handler: EventHandler<T>): () => void;
}
