package admit

// PublicEvent is an event as the public start page lists it: with the
// organization that sells it, whose slug is part of its address.
type PublicEvent struct {
	Event        *Event
	Organization *Organization
}
