package admit

// HoldLimits caps how many live holds one buyer may have for an event, by
// session and by address; zero disables a cap.
type HoldLimits struct {
	PerClient int
	PerIP     int
}
