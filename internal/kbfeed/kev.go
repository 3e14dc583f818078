package kbfeed

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/exhunt/exhunt/internal/exchange"
)

// KEVCatalog is CISA's catalog reduced to its Exchange Server entries.
type KEVCatalog struct {
	Version  string // catalogVersion, e.g. 2025.02.25
	Released time.Time
	Exchange []exchange.KEVEntry
}

type kevDocument struct {
	Title           string `json:"title"`
	CatalogVersion  string `json:"catalogVersion"`
	DateReleased    string `json:"dateReleased"`
	Vulnerabilities []struct {
		CVEID             string `json:"cveID"`
		VendorProject     string `json:"vendorProject"`
		Product           string `json:"product"`
		VulnerabilityName string `json:"vulnerabilityName"`
		DateAdded         string `json:"dateAdded"`
		Ransomware        string `json:"knownRansomwareCampaignUse"`
	} `json:"vulnerabilities"`
}

// ParseKEV reads CISA's known_exploited_vulnerabilities.json and keeps the
// Microsoft Exchange Server entries.
func ParseKEV(data []byte) (KEVCatalog, error) {
	if len(data) > maxDocument {
		return KEVCatalog{}, fmt.Errorf("%w: %d bytes (at most %d)", ErrDocument, len(data), maxDocument)
	}
	var d kevDocument
	if err := json.Unmarshal(data, &d); err != nil {
		return KEVCatalog{}, fmt.Errorf("%w: KEV catalog: %v", ErrDocument, err)
	}
	if !strings.Contains(d.Title, "Known Exploited Vulnerabilities") || d.Vulnerabilities == nil {
		return KEVCatalog{}, fmt.Errorf("%w: not CISA's KEV catalog (title %q)", ErrDocument, d.Title)
	}
	c := KEVCatalog{Version: d.CatalogVersion, Released: parseTime(d.DateReleased)}
	for _, v := range d.Vulnerabilities {
		if !strings.EqualFold(strings.TrimSpace(v.VendorProject), "Microsoft") || !strings.Contains(strings.ToLower(v.Product), "exchange server") {
			continue
		}
		if !cveID.MatchString(v.CVEID) {
			return KEVCatalog{}, fmt.Errorf("%w: KEV entry with cveID %q", ErrDocument, v.CVEID)
		}
		if _, err := time.Parse(time.DateOnly, v.DateAdded); err != nil {
			return KEVCatalog{}, fmt.Errorf("%w: %s: dateAdded %q", ErrDocument, v.CVEID, v.DateAdded)
		}
		use := v.Ransomware
		if use != "Known" {
			use = "Unknown"
		}
		c.Exchange = append(c.Exchange, exchange.KEVEntry{CVE: v.CVEID, DateAdded: v.DateAdded, Ransomware: use, Name: v.VulnerabilityName})
	}
	return c, nil
}
