package admit

import "time"

// Export kinds and formats, as stored in exports.kind and exports.format.
const (
	ExportOrders    = "orders"
	ExportAttendees = "attendees"
	ExportCheckIns  = "checkins"

	ExportCSV  = "csv"
	ExportXLSX = "xlsx"
)

// ExportStatus is where an export is in its life: queued, running, done or
// failed.
type ExportStatus string

// The statuses of an export.
const (
	ExportQueued  ExportStatus = "queued"
	ExportRunning ExportStatus = "running"
	ExportDone    ExportStatus = "done"
	ExportFailed  ExportStatus = "failed"
)

// Export is one requested export of an event's data and, once built, its
// stored file.
type Export struct {
	ID             int64
	OrganizationID int64
	EventID        int64
	EventName      string
	Kind           string
	Format         string
	Status         ExportStatus
	// Attempt counts the claims; a builder writes only while the attempt is
	// its own.
	Attempt         int
	Rows            int // written so far, or in the file once done
	FileKey         string
	FileName        string
	Size            int64
	Error           string
	RequestedBy     int64
	RequestedByName string
	CreatedAt       time.Time
	StartedAt       time.Time
	FinishedAt      time.Time
	ExpiresAt       time.Time
	// Expired reports, by MySQL's clock, that the download link has expired.
	Expired bool
}

// Pending reports whether the export is still to be built or being built.
func (e *Export) Pending() bool { return e.Status == ExportQueued || e.Status == ExportRunning }

// ExportFile is what a finished build stored.
type ExportFile struct {
	Key  string
	Name string
	Rows int
	Size int64
}

// ExportOrder is one order as exported.
type ExportOrder struct {
	ID              int64
	Reference       string
	Status          OrderStatus
	BuyerName       string
	BuyerEmail      string
	Lines           []OrderLine
	Total           int64
	DiscountTotal   int64
	RefundedTotal   int64
	Currency        string
	DiscountCode    string
	PaymentProvider string
	PaymentRef      string
	CreatedAt       time.Time
	PaidAt          time.Time
}

// ExportAttendee is one ticket as exported, with its attendee, order,
// answers and latest check-in in force.
type ExportAttendee struct {
	TicketID       int64
	Code           string
	TicketType     string
	AttendeeName   string
	AttendeeEmail  string
	TicketStatus   TicketStatus
	OrderReference string
	OrderStatus    OrderStatus
	BuyerName      string
	BuyerEmail     string
	CheckedInAt    time.Time
	// Answers maps question ids to the attendee's answers.
	Answers map[int64]string
}

// ExportCheckIn is one check-in as exported, undone ones included.
type ExportCheckIn struct {
	ID             int64
	CreatedAt      time.Time
	List           string
	Code           string
	TicketType     string
	AttendeeName   string
	OrderReference string
	CheckedInBy    string // the staff member's name, or email if unnamed
	UndoneAt       time.Time
}
