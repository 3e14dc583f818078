package collect

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
)

// maxAppHostSize bounds how much of applicationHost.config is read; real
// ones are 100-200 KB (Exchange 2019: 175 KB).
const maxAppHostSize = 16 << 20

// IISConfig is what collection needs from IIS's applicationHost.config:
// where each site writes its W3C logs and which folders it serves. Paths
// are as written in the file (with %SystemDrive% and the like unexpanded).
type IISConfig struct {
	DefaultLogDir string // sites/siteDefaults/logFile@directory
	CentralW3CDir string // log/centralW3CLogFile@directory, when centralLogFileMode is CentralW3C
	Sites         []IISSite
}

// IISSite is one <site>.
type IISSite struct {
	Name          string
	ID            string
	LogDir        string   // the site's own logFile@directory, "" when it inherits the default
	PhysicalPaths []string // every virtualDirectory@physicalPath, in file order
}

type appHostXML struct {
	AppHost struct {
		Log struct {
			Mode       string `xml:"centralLogFileMode,attr"`
			CentralW3C struct {
				Directory string `xml:"directory,attr"`
			} `xml:"centralW3CLogFile"`
		} `xml:"log"`
		Sites struct {
			Defaults struct {
				LogFile struct {
					Directory string `xml:"directory,attr"`
				} `xml:"logFile"`
			} `xml:"siteDefaults"`
			Site []struct {
				Name    string `xml:"name,attr"`
				ID      string `xml:"id,attr"`
				LogFile struct {
					Directory string `xml:"directory,attr"`
				} `xml:"logFile"`
				Apps []struct {
					VDirs []struct {
						PhysicalPath string `xml:"physicalPath,attr"`
					} `xml:"virtualDirectory"`
				} `xml:"application"`
			} `xml:"site"`
		} `xml:"sites"`
	} `xml:"system.applicationHost"`
}

// ParseApplicationHost reads applicationHost.config. A file that is not
// well-formed XML is an error (the caller falls back to the default log
// folders and says so); it never guesses from a partial parse.
func ParseApplicationHost(r io.Reader) (*IISConfig, error) {
	var x appHostXML
	lr := &io.LimitedReader{R: r, N: maxAppHostSize + 1}
	if err := xml.NewDecoder(lr).Decode(&x); err != nil {
		return nil, fmt.Errorf("collect: applicationHost.config: %w", err)
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("collect: applicationHost.config: larger than %d bytes", maxAppHostSize)
	}
	c := &IISConfig{DefaultLogDir: strings.TrimSpace(x.AppHost.Sites.Defaults.LogFile.Directory)}
	if strings.EqualFold(x.AppHost.Log.Mode, "CentralW3C") {
		c.CentralW3CDir = strings.TrimSpace(x.AppHost.Log.CentralW3C.Directory)
	}
	for _, s := range x.AppHost.Sites.Site {
		site := IISSite{Name: s.Name, ID: strings.TrimSpace(s.ID), LogDir: strings.TrimSpace(s.LogFile.Directory)}
		for _, a := range s.Apps {
			for _, v := range a.VDirs {
				if p := strings.TrimSpace(v.PhysicalPath); p != "" {
					site.PhysicalPaths = append(site.PhysicalPaths, p)
				}
			}
		}
		c.Sites = append(c.Sites, site)
	}
	return c, nil
}

// defaultIISLogDir is IIS's own default when siteDefaults names none.
const defaultIISLogDir = `%SystemDrive%\inetpub\logs\LogFiles`

// LogDirs lists the folders holding W3C logs: <dir>\W3SVC<id> for every
// site with an id, where dir is the site's own logFile directory or else
// siteDefaults' ("If the logFile element is configured in both siteDefaults
// and a specific site, the site's configuration is used",
// learn.microsoft.com/iis/configuration/system.applicationhost/sites/site/logfile/),
// plus the central W3C folder when central logging is on.
func (c *IISConfig) LogDirs() []string {
	def := c.DefaultLogDir
	if def == "" {
		def = defaultIISLogDir
	}
	var out []string
	seen := map[string]bool{}
	add := func(d string) {
		if k := strings.ToLower(d); !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	for _, s := range c.Sites {
		if s.ID == "" {
			continue
		}
		dir := s.LogDir
		if dir == "" {
			dir = def
		}
		add(strings.TrimRight(dir, `\/`) + `\W3SVC` + s.ID)
	}
	if c.CentralW3CDir != "" {
		add(c.CentralW3CDir)
	}
	return out
}

// ExchangeInstall infers the Exchange install folder from the sites'
// physical paths (…\V15\FrontEnd\HttpProxy\owa → …\V15), the way an
// offline copy reveals a non-default install without the registry. The
// most common prefix wins; ok is false when no path looks like Exchange.
func (c *IISConfig) ExchangeInstall() (string, bool) {
	count := map[string]int{}
	for _, s := range c.Sites {
		for _, p := range s.PhysicalPaths {
			l := strings.ToLower(strings.ReplaceAll(p, "/", `\`))
			for _, marker := range []string{`\frontend\httpproxy`, `\clientaccess`} {
				i := strings.Index(l, marker)
				if i <= 0 {
					continue
				}
				rest := l[i+len(marker):]
				if rest == "" || rest[0] == '\\' {
					count[p[:i]]++
					break
				}
			}
		}
	}
	if len(count) == 0 {
		return "", false
	}
	best := make([]string, 0, len(count))
	for k := range count {
		best = append(best, k)
	}
	sort.Slice(best, func(i, j int) bool {
		if count[best[i]] != count[best[j]] {
			return count[best[i]] > count[best[j]]
		}
		return best[i] < best[j]
	})
	return best[0], true
}
