package exchange

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ErrBadBuild is wrapped by every build-parsing error.
var ErrBadBuild = errors.New("exchange: not an Exchange build number")

// maxBuildInput bounds what Parse looks at: real inputs are short.
const maxBuildInput = 200

// Build is an Exchange build number a.b.c.d. Revision is -1 when the input
// gave only a.b.c (OWA resource paths, AdminDisplayVersion without SU).
type Build struct {
	Major, Minor, Build, Revision int
}

// HasRevision says whether the fourth part is known.
func (b Build) HasRevision() bool { return b.Revision >= 0 }

// String gives the short normalised form, 15.1.2176.2 (or 15.1.2176).
func (b Build) String() string {
	if !b.HasRevision() {
		return fmt.Sprintf("%d.%d.%d", b.Major, b.Minor, b.Build)
	}
	return fmt.Sprintf("%d.%d.%d.%d", b.Major, b.Minor, b.Build, b.Revision)
}

// Compare orders builds; a missing revision sorts before revision 0.
func (b Build) Compare(o Build) int {
	for _, d := range [...]int{b.Major - o.Major, b.Minor - o.Minor, b.Build - o.Build, b.Revision - o.Revision} {
		if d != 0 {
			if d < 0 {
				return -1
			}
			return 1
		}
	}
	return 0
}

// sameLine says whether two builds belong to the same CU (a.b.c).
func (b Build) sameLine(o Build) bool {
	return b.Major == o.Major && b.Minor == o.Minor && b.Build == o.Build
}

// sameCodeLine says whether two builds share major.minor (2019 and SE share 15.2).
func (b Build) sameCodeLine(o Build) bool {
	return b.Major == o.Major && b.Minor == o.Minor
}

var adminDisplay = regexp.MustCompile(`(?i)^version\s+(\d{1,5})\.(\d{1,5})\s*\(\s*build\s+(\d{1,5})\.(\d{1,5})\s*\)$`)

// ParseBuild reads a build in any form users meet:
//
//	15.1.2176.2                  ExSetup.exe file version, X-OWA-Version
//	15.01.2176.002               Exchange log headers (#Version:)
//	15.1.2176                    OWA/ECP resource paths: CU only
//	Version 15.1 (Build 2176.2)  Get-ExchangeServer AdminDisplayVersion
func ParseBuild(s string) (Build, error) {
	if len(s) > maxBuildInput {
		return Build{}, fmt.Errorf("%w: input is %d characters long (at most %d)", ErrBadBuild, len(s), maxBuildInput)
	}
	in := strings.TrimSpace(s)
	if in == "" {
		return Build{}, fmt.Errorf("%w: empty input", ErrBadBuild)
	}
	var parts []string
	if m := adminDisplay.FindStringSubmatch(in); m != nil {
		parts = m[1:]
	} else {
		parts = strings.Split(strings.TrimPrefix(strings.TrimPrefix(in, "v"), "V"), ".")
	}
	if len(parts) < 3 || len(parts) > 4 {
		return Build{}, fmt.Errorf("%w: %q (want a.b.c.d, a.b.c or \"Version 15.1 (Build 2176.2)\")", ErrBadBuild, s)
	}
	nums := [4]int{0, 0, 0, -1}
	for i, p := range parts {
		n, err := parseUint16(p)
		if err != nil {
			return Build{}, fmt.Errorf("%w: %q: part %d %v", ErrBadBuild, s, i+1, err)
		}
		nums[i] = n
	}
	b := Build{nums[0], nums[1], nums[2], nums[3]}
	switch {
	case b.Major == 14 && b.Minor <= 3:
		return b, nil // Exchange 2010 RTM, SP1, SP2, SP3
	case b.Major == 8 || b.Major == 6:
		return Build{}, fmt.Errorf("%w: %s is Exchange 2007 or older, out of support since 2017 and not covered: it is exposed to every later Exchange CVE; move to Exchange Server SE", ErrBadBuild, b)
	case b.Major == 14:
		return Build{}, fmt.Errorf("%w: %s: major version 14 is Exchange 2010, whose minor versions are 0-3 (RTM, SP1, SP2, SP3)", ErrBadBuild, b)
	case b.Major != 15:
		return Build{}, fmt.Errorf("%w: %s: major version %d is not Exchange 2010 (14.x), 2013, 2016, 2019 or SE (15.x)", ErrBadBuild, b, b.Major)
	case b.Minor > 2:
		return Build{}, fmt.Errorf("%w: %s: minor version %d is unknown (15.0 = 2013, 15.1 = 2016, 15.2 = 2019/SE)", ErrBadBuild, b, b.Minor)
	}
	return b, nil
}

// parseUint16 accepts decimal digits only (zero padding allowed), up to
// 65535: build parts are 16-bit file-version fields.
func parseUint16(p string) (int, error) {
	if p == "" {
		return 0, errors.New("is empty")
	}
	for _, r := range p {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q is not a number", p)
		}
	}
	if len(p) > 6 {
		return 0, fmt.Errorf("%q is too large", p)
	}
	n, _ := strconv.Atoi(p)
	if n > 65535 {
		return 0, fmt.Errorf("%d is too large (at most 65535)", n)
	}
	return n, nil
}

// ProductOf names the product line of a build, as HealthChecker does:
// 14.x → 2010, 15.0 → 2013, 15.1 → 2016, 15.2 with build ≥ 2562 → SE,
// other 15.2 → 2019.
func ProductOf(b Build) string {
	switch {
	case b.Major == 14:
		return "Exchange Server 2010"
	case b.Minor == 0:
		return "Exchange Server 2013"
	case b.Minor == 1:
		return "Exchange Server 2016"
	case b.Build >= 2562:
		return "Exchange Server SE"
	default:
		return "Exchange Server 2019"
	}
}
