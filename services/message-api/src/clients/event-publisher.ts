/** Where events go: the bus in production, something that fails on purpose in tests. */
export interface EventPublisher {
  publish(subject: string, event: { eventId: string }): Promise<void>;
}
