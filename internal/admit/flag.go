package admit

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Feature flags the code asks about. A flag nobody has set is off.
const (
	// FlagLowStockNotice shows "Only N left" in a ticket type's row on the
	// event page when a few tickets remain.
	FlagLowStockNotice = "checkout.low_stock_notice"
)

// KnownFlags are the flags the code asks about, for the operators' list.
var KnownFlags = []string{FlagLowStockNotice}

// KnownFlag reports whether this version's code asks about the flag: a
// stored flag it does not know is left over from an older or newer version.
func KnownFlag(name string) bool { return slices.Contains(KnownFlags, name) }

// OperatorFlags is the list an operator reads: every known flag in the
// order the code declares them (off where none is stored), then the stored
// flags this version does not know, by name.
func OperatorFlags(stored []Flag) []Flag {
	byName := make(map[string]Flag, len(stored))
	for _, f := range stored {
		byName[f.Name] = f
	}
	out := make([]Flag, 0, len(KnownFlags)+len(stored))
	for _, name := range KnownFlags {
		f, ok := byName[name]
		if !ok {
			f = Flag{Name: name, Mode: FlagOff}
		}
		out = append(out, f)
	}
	var unknown []Flag
	for _, f := range stored {
		if !KnownFlag(f.Name) {
			unknown = append(unknown, f)
		}
	}
	slices.SortFunc(unknown, func(a, b Flag) int { return strings.Compare(a.Name, b.Name) })
	return append(out, unknown...)
}

// Flag modes.
const (
	FlagOff     = "off"
	FlagAll     = "all"
	FlagPercent = "percent"
	FlagOrgs    = "orgs"
)

// Flag is a feature's rollout: off, on for all, on for named organizations
// (by slug), or on for a percentage of them.
type Flag struct {
	Name    string
	Mode    string
	Percent int      // FlagPercent: 0..100
	Orgs    []string // FlagOrgs: slugs
	// OrgIDs are the ids of Orgs, where storage resolved them: a step that
	// knows only the organization's id still finds it named.
	OrgIDs []int64
	// UnknownOrgs are the Orgs no organization has, where storage looked:
	// a mistyped slug, or an organization yet to sign up.
	UnknownOrgs []string
}

// FlagBucket is where an organization falls for a flag, 0..99: a hash of
// the flag's name and the organization's id, so that each flag picks its
// own organizations and an organization's place never changes. A flag at
// p% is on for the buckets below p, so raising p only adds organizations.
func FlagBucket(flag string, orgID int64) int {
	// SHA-256, not a faster hash: FNV's last bytes barely stir the
	// result, so consecutive ids clustered and two flags chose alike.
	sum := sha256.Sum256([]byte(flag + "\x00" + strconv.FormatInt(orgID, 10)))
	return int(binary.BigEndian.Uint64(sum[:8]) % 100)
}

// On says whether the flag is on for the organization.
func (f Flag) On(orgID int64, orgSlug string) bool {
	switch f.Mode {
	case FlagAll:
		return true
	case FlagPercent:
		return FlagBucket(f.Name, orgID) < f.Percent
	case FlagOrgs:
		return (orgSlug != "" && slices.Contains(f.Orgs, orgSlug)) || slices.Contains(f.OrgIDs, orgID)
	}
	return false
}

// String is the flag's setting as admit flags set takes it.
func (f Flag) String() string {
	switch f.Mode {
	case FlagAll, FlagOff:
		return f.Mode
	case FlagPercent:
		return strconv.Itoa(f.Percent) + "%"
	case FlagOrgs:
		return strings.Join(f.Orgs, ",")
	}
	return FlagOff
}

// ParseFlag reads a setting: "all", "off", "10%", or "org1,org2".
func ParseFlag(name, setting string) (Flag, error) {
	f := Flag{Name: name}
	if !validFlagName(name) {
		return f, FieldError("name", "A flag name is lowercase letters, digits, dots and underscores, like "+FlagLowStockNotice+".")
	}
	s := strings.TrimSpace(strings.ToLower(setting))
	switch {
	case s == "all" || s == "on":
		f.Mode = FlagAll
	case s == "off" || s == "none" || s == "0%":
		f.Mode = FlagOff
	case strings.HasSuffix(s, "%"):
		p, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
		if err != nil || p < 0 || p > 100 {
			return f, FieldError("setting", "A percentage is a whole number from 0% to 100%.")
		}
		f.Mode, f.Percent = FlagPercent, p
	case s != "":
		for _, slug := range strings.Split(s, ",") {
			slug = strings.TrimSpace(slug)
			if slug == "" {
				continue
			}
			if !validFlagName(slug) {
				return f, FieldError("setting", fmt.Sprintf("%q is not an organization's slug.", slug))
			}
			if !slices.Contains(f.Orgs, slug) {
				f.Orgs = append(f.Orgs, slug)
			}
		}
		f.Mode = FlagOrgs
	}
	if f.Mode == "" || (f.Mode == FlagOrgs && len(f.Orgs) == 0) {
		return f, FieldError("setting", "Set a flag to all, off, a percentage like 10%, or organizations' slugs like org1,org2.")
	}
	if f.Mode == FlagOrgs && len(strings.Join(f.Orgs, ",")) > 2000 {
		return f, FieldError("setting", "Name at most 2,000 characters of organizations; use a percentage for more.")
	}
	return f, nil
}

func validFlagName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// FlagChange is one audited change of a flag.
type FlagChange struct {
	Name, Old, New, By string
	At                 time.Time
}
