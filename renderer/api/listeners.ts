/** A minimal listener set: subscribe returns its own unsubscribe, and one bad listener is contained. */
export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => {
      this.set.delete(listener);
    };
  }

  emit(value: T): void {
    for (const listener of [...this.set]) {
      try {
        listener(value);
      } catch (error) {
        // A store's bug must not stop the other stores from hearing the event.
        console.error(error);
      }
    }
  }
}
