package bench

// Fault is what happened to the component a run killed (-fault).
type Fault struct {
	Component string `json:"component"`
	// KilledAt is when it was killed, in seconds after the first buyer
	// started (0: it was not).
	KilledAt       float64 `json:"killed_at,omitempty"`
	Restored       bool    `json:"restored"`
	DuringRun      bool    `json:"restored_during_run,omitempty"`
	RestoreSeconds float64 `json:"restore_seconds,omitempty"`
	Error          string  `json:"error,omitempty"`
}
