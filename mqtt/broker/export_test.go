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

// HasClient reports whether the broker holds a session for client id. A
// clean session is dropped only after its will was published, so its
// absence after a disconnect means the will (if any) went out.
func (b *Broker) HasClient(id string) bool {
	b.mu.Lock()
	srv := b.srv
	b.mu.Unlock()
	_, ok := srv.Clients.Get(id)
	return ok
}

// Inflight is how many QoS 1 messages client id's session holds unacked.
func (b *Broker) Inflight(id string) int {
	b.mu.Lock()
	srv := b.srv
	b.mu.Unlock()
	cl, ok := srv.Clients.Get(id)
	if !ok {
		return 0
	}
	return cl.State.Inflight.Len()
}
