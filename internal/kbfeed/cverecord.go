// Package kbfeed keeps the Exchange build knowledge fresh from the
// publishers' own feeds: Microsoft's CVE records in CVE JSON 5 (as served
// by the CVE Services API and published in the CVE program's cvelistV5
// repository) and CISA's Known Exploited Vulnerabilities catalog (JSON).
// It parses them, compares them with the knowledge in use, and derives the
// builds.csv, cve-fixes.csv and kev.csv that exhunt prefers when newer.
// A contradiction with the knowledge in use is reported and never
// overwrites it silently.
package kbfeed

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/exchange"
)

// ErrDocument is wrapped by every error about a malformed feed document.
var ErrDocument = errors.New("kbfeed: malformed document")

// maxDocument bounds one feed document; the KEV catalog is about 1.5 MB.
const maxDocument = 32 << 20

// Affected is one "affected below build X" statement of a CVE record for
// one CU line: Build is the first fixed build; NoBuild says Microsoft
// lists the line as affected without any fixed version.
type Affected struct {
	CVE       string
	Product   string // Exchange Server 2016, ...
	CU        string // CU23, RTM, SP1, SP3 RU31
	Build     exchange.Build
	NoBuild   bool
	Published time.Time // the record's datePublic (or datePublished)
	Title     string
}

// cveRecord is the part of a CVE JSON 5 record kbfeed reads.
type cveRecord struct {
	DataType    string `json:"dataType"`
	CVEMetadata struct {
		CVEID         string `json:"cveId"`
		State         string `json:"state"`
		Assigner      string `json:"assignerShortName"`
		DatePublished string `json:"datePublished"`
	} `json:"cveMetadata"`
	Containers struct {
		CNA struct {
			Title      string `json:"title"`
			DatePublic string `json:"datePublic"`
			Affected   []struct {
				Vendor   string `json:"vendor"`
				Product  string `json:"product"`
				Versions []struct {
					Version  string `json:"version"`
					LessThan string `json:"lessThan"`
					Status   string `json:"status"`
				} `json:"versions"`
			} `json:"affected"`
		} `json:"cna"`
	} `json:"containers"`
}

var cveID = regexp.MustCompile(`^CVE-\d{4}-\d{4,7}$`)

// ParseCVERecord reads one CVE JSON 5 record. It returns the Exchange
// lines the record names with their fixed builds, and notes on statements
// it could not use (no build given, a build of another product). A record
// that is not JSON, not a CVE record, or not Microsoft's is an error.
func ParseCVERecord(data []byte) ([]Affected, []string, error) {
	if len(data) > maxDocument {
		return nil, nil, fmt.Errorf("%w: %d bytes (at most %d)", ErrDocument, len(data), maxDocument)
	}
	var r cveRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrDocument, err)
	}
	id := r.CVEMetadata.CVEID
	if r.DataType != "CVE_RECORD" || !cveID.MatchString(id) {
		return nil, nil, fmt.Errorf("%w: not a CVE JSON 5 record (dataType %q, cveId %q)", ErrDocument, r.DataType, id)
	}
	if !strings.EqualFold(r.CVEMetadata.Assigner, "microsoft") {
		return nil, nil, fmt.Errorf("%w: %s was assigned by %q, not Microsoft", ErrDocument, id, r.CVEMetadata.Assigner)
	}
	published := parseTime(r.Containers.CNA.DatePublic)
	if published.IsZero() {
		published = parseTime(r.CVEMetadata.DatePublished)
	}
	var out []Affected
	var notes []string
	for _, a := range r.Containers.CNA.Affected {
		product, cu, ok := exchangeLine(a.Product)
		if !ok {
			continue // another Microsoft product in a shared record
		}
		for _, v := range a.Versions {
			if !strings.EqualFold(v.Status, "affected") {
				continue
			}
			base := Affected{CVE: id, Product: product, CU: cu, Published: published, Title: r.Containers.CNA.Title}
			switch lt := strings.TrimSpace(v.LessThan); {
			case lt == "" && strings.EqualFold(strings.TrimSpace(v.Version), "N/A"):
				base.NoBuild = true
				out = append(out, base)
			case lt == "" || strings.EqualFold(lt, "publication"):
				notes = append(notes, fmt.Sprintf("%s: %s %s: the record gives no fixed build (%q)", id, product, cu, orDash(lt)))
			default:
				b, err := exchange.ParseBuild(lt)
				if err != nil || !b.HasRevision() {
					notes = append(notes, fmt.Sprintf("%s: %s %s: fixed build %q is not a build number", id, product, cu, lt))
					continue
				}
				if p := exchange.ProductOf(b); !sameCodeLine(p, product) {
					notes = append(notes, fmt.Sprintf("%s: %s %s: the record's fixed build %s belongs to %s: ignored", id, product, cu, b, p))
					continue
				}
				base.Build = b
				out = append(out, base)
			}
		}
	}
	return out, notes, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func parseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// sameCodeLine says whether a build's product may carry a fix for line:
// 2019 and SE share 15.2.
func sameCodeLine(buildProduct, line string) bool {
	if buildProduct == line {
		return true
	}
	pair := map[string]bool{"Exchange Server 2019": true, "Exchange Server SE": true}
	return pair[buildProduct] && pair[line]
}

var productName = regexp.MustCompile(`^Microsoft Exchange Server (2010|2013|2016|2019|Subscription Edition)(?: (?:Cumulative Update (\d+)|Service Pack (\d)(?: Update Rollup (\d+))?|(RTM)))?$`)

// exchangeLine maps Microsoft's product names ("Microsoft Exchange Server
// 2019 Cumulative Update 14", "... Subscription Edition RTM", "... 2010
// Service Pack 3 Update Rollup 31") to the knowledge base's product and CU.
func exchangeLine(name string) (product, cu string, ok bool) {
	m := productName.FindStringSubmatch(strings.Join(strings.Fields(name), " "))
	if m == nil {
		return "", "", false
	}
	product = "Exchange Server " + m[1]
	if m[1] == "Subscription Edition" {
		product = "Exchange Server SE"
	}
	switch {
	case m[2] != "":
		cu = "CU" + m[2]
	case m[3] != "" && m[4] != "":
		cu = "SP" + m[3] + " RU" + m[4]
	case m[3] != "":
		cu = "SP" + m[3]
	default:
		cu = "RTM" // "Microsoft Exchange Server 2019" alone is its RTM
	}
	return product, cu, true
}
