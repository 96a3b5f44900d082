package admit

// Refund is one refund of some or all tickets of a paid order.
type Refund struct {
	ID          int64
	OrderID     int64
	Amount      int64
	Tickets     int
	Provider    string
	ProviderRef string
	// Released is the capacity the refund returned, per ticket type.
	Released []HoldItem
}
