package broker

// RetainedPayload returns what the broker's retained store holds for topic,
// so tests can prove that nothing was stored.
func (b *Broker) RetainedPayload(topic string) ([]byte, bool) {
	b.mu.Lock()
	srv := b.srv
	b.mu.Unlock()
	pk, ok := srv.Topics.Retained.Get(topic)
	return pk.Payload, ok
}
