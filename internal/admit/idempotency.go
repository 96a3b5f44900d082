package admit

// StoredResponse is the first response to an idempotent request, replayed
// for its repeats.
type StoredResponse struct {
	Status int
	Body   []byte
}

// IdempotencyKey names one idempotent request: unique per organization,
// scope (which surface or token) and the client's key.
type IdempotencyKey struct {
	OrganizationID int64
	Scope          string
	Key            string
}
