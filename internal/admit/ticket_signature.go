package admit

import (
	"crypto/ed25519"
	"encoding/base64"
	"strconv"
	"strings"
)

// TicketKey is an event's Ed25519 key that signs what its tickets' QR codes
// carry. The door's phone holds only the public half: it tells a real
// ticket from a forged one without the server, as pretix's apps do with
// signed tickets, while a copied ticket is still caught by the check-in
// that the first scan made.
type TicketKey struct {
	EventID int64
	Private ed25519.PrivateKey
}

// PublicKey is the half the check-in page ships to the door, in base64url.
func (k *TicketKey) PublicKey() string {
	return base64.RawURLEncoding.EncodeToString(k.Private.Public().(ed25519.PublicKey))
}

// Sign returns what the QR code of the ticket with code and ticket type
// carries: "code.type.signature". The code comes first so that anything
// that reads only up to the first dot (a hand scanner into an old page,
// the server's check-in) still finds the bare code.
func (k *TicketKey) Sign(ticketTypeID int64, code string) string {
	if k == nil || len(k.Private) != ed25519.PrivateKeySize {
		return code
	}
	sig := ed25519.Sign(k.Private, ticketSignedMessage(k.EventID, ticketTypeID, code))
	return code + "." + strconv.FormatInt(ticketTypeID, 10) + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// ticketSignedMessage is the message signed for a ticket: the event binds
// the signature to one event's key even if keys were ever shared.
func ticketSignedMessage(eventID, ticketTypeID int64, code string) []byte {
	return []byte("admit-ticket-v1:" + strconv.FormatInt(eventID, 10) + ":" + strconv.FormatInt(ticketTypeID, 10) + ":" + code)
}

// SignedTicket is a QR code's content taken apart.
type SignedTicket struct {
	Code         string
	TicketTypeID int64
	Signature    []byte
}

// ParseSignedTicket splits what a scanner read into code, ticket type and
// signature; ok is false for a bare code (one printed before tickets were
// signed, or typed by hand).
func ParseSignedTicket(s string) (t SignedTicket, ok bool) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) != 3 {
		return SignedTicket{}, false
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || id <= 0 {
		return SignedTicket{}, false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return SignedTicket{}, false
	}
	return SignedTicket{Code: NormalizeTicketCode(parts[0]), TicketTypeID: id, Signature: sig}, true
}

// Verify reports whether the signature is the event's key's over the code
// and ticket type; publicKey is the key as PublicKey gives it.
func (t SignedTicket) Verify(eventID int64, publicKey string) bool {
	pub, err := base64.RawURLEncoding.DecodeString(publicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return false
	}
	return ed25519.Verify(pub, ticketSignedMessage(eventID, t.TicketTypeID, t.Code), t.Signature)
}

// TicketCodeOf returns the bare ticket code in what staff typed or a
// scanner sent, signed or not, normalized.
func TicketCodeOf(scanned string) string {
	if t, ok := ParseSignedTicket(scanned); ok {
		return t.Code
	}
	return NormalizeTicketCode(scanned)
}
