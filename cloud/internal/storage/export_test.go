package storage

// PaidBatchState reports the group commit's queue length and whether its
// goroutine is running, so tests can line items up into one batch.
func PaidBatchState(s *Storage) (queued int, running bool) {
	s.paid.mu.Lock()
	defer s.paid.mu.Unlock()
	return len(s.paid.queue), s.paid.running > 0
}

// PaidBatches is how many group-commit batches have run.
func PaidBatches(s *Storage) int64 {
	s.paid.mu.Lock()
	defer s.paid.mu.Unlock()
	return s.paid.batches
}
