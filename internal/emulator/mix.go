package emulator

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Profile is a named host configuration used to build fleets.
type Profile struct {
	Name   string
	Config Config
}

// Builds used by the profiles, from Microsoft's build table
// (internal/exchange/data/builds.csv).
const (
	Build2016CU19     = "15.1.2176.2"  // Exchange 2016 CU19, Dec 2020: ProxyLogon, ProxyShell, ...
	Build2019CU8      = "15.2.792.3"   // Exchange 2019 CU8, Dec 2020
	Build2013CU23     = "15.0.1497.2"  // Exchange 2013 CU23 RTM, Jun 2019
	Build2016CU19May  = "15.1.2176.14" // 2016 CU19 May21SU: ProxyLogon/ProxyShell fixed, no X-OWA-Version yet
	Build2019CU11Nov  = "15.2.986.36"  // 2019 CU11 Nov22SU
	Build2016CU23Aug  = "15.1.2507.72" // 2016 CU23 Aug26SU
	Build2019CU15Aug  = "15.2.1748.49" // 2019 CU15 Aug26SU
	BuildSEAug        = "15.2.2562.46" // Exchange SE RTM Aug26SU
	BuildSEOct        = "15.2.2562.56" // Exchange SE RTM Oct26SU: newest update in the table, the only unexposed line in December 2026
	Build2019CU14Feb  = "15.2.1544.44" // 2019 CU14 (newest SU in the table)
	Build2010SP3      = "14.3.513.0"   // Exchange 2010 SP3 RU32, Mar 2021 (out of support since Oct 2020)
	WebShellSupp0rt   = "/aspnet_client/supp0rt.aspx"
	WebShellOwaAuthOn = "/owa/auth/one1.aspx"
)

// Profiles lists the stock profiles by name; `exhunt emulate --profile`
// and the tests use them.
func Profiles() []Profile {
	vuln := func(b string) Config {
		return Config{Kind: Exchange, Build: b, SSRF: true, ProxyShell: true, ProxyToken: true, FrownyXSS: true}
	}
	patched := func(b string) Config {
		return Config{Kind: Exchange, Build: b, VersionHeader: true}
	}
	shelled := vuln(Build2016CU19)
	shelled.WebShells = []string{WebShellSupp0rt, WebShellOwaAuthOn}
	mitigated := vuln(Build2019CU8)
	mitigated.SSRFMitigated = true
	pnsMit := patched(Build2019CU11Nov)
	pnsMit.PNSMitigated = true
	may21 := Config{Kind: Exchange, Build: Build2016CU19May, NoManifest: true}
	apr21 := Config{Kind: Exchange, Build: "15.1.2176.12", CurrentManifestMissing: true}
	return append([]Profile{
		{"vulnerable-2016cu19", vuln(Build2016CU19)},
		{"vulnerable-2019cu8", vuln(Build2019CU8)},
		{"vulnerable-2013cu23", vuln(Build2013CU23)},
		{"webshelled-2016cu19", shelled},
		{"mitigated-2019cu8", mitigated},
		{"cu-only-2016cu19-may21", may21},
		{"ecp-folder-2016cu19-apr21", apr21},
		{"patched-2019cu11-nov22-eomtv2", pnsMit},
		{"patched-2016cu23", patched(Build2016CU23Aug)},
		{"patched-2019cu15", patched(Build2019CU15Aug)},
		{"patched-se", patched(BuildSEOct)},
		{"patched-2019cu14", patched(Build2019CU14Feb)},
		{"not-exchange", Config{Kind: NotExchange}},
		{"iis-ntlm", Config{Kind: IISNTLM}},
		{"catch-all", Config{Kind: CatchAll}},
		{"exchange-2010sp3", Config{Kind: Exchange, Build: Build2010SP3}},
	}, recordedProfiles()...)
}

// ProfileByName finds a stock profile.
func ProfileByName(name string) (Config, error) {
	for _, p := range Profiles() {
		if p.Name == name {
			return p.Config, nil
		}
	}
	return Config{}, fmt.Errorf("emulator: unknown profile %q", name)
}

// MixOptions shape a mixed fleet.
type MixOptions struct {
	Vulnerable  float64       // share of hosts vulnerable to ProxyLogon (default 0.10)
	NotExchange float64       // share of non-Exchange hosts (default 0.05)
	Slow        float64       // share of slow hosts (default 0.02)
	SlowDelay   time.Duration // delay per response on slow hosts (default 300ms)
	WebShelled  int           // number of web-shelled hosts (default n/250, at least 1)
	Seed        uint64
}

// Mix returns n configs: the stated shares of vulnerable, web-shelled,
// non-Exchange and slow hosts, the rest patched Exchange of mixed builds.
// Computer names are EX0001, EX0002, ... so hosts are told apart.
func Mix(n int, o MixOptions) []Config {
	if o.Vulnerable == 0 {
		o.Vulnerable = 0.10
	}
	if o.NotExchange == 0 {
		o.NotExchange = 0.05
	}
	if o.Slow == 0 {
		o.Slow = 0.02
	}
	if o.SlowDelay == 0 {
		o.SlowDelay = 300 * time.Millisecond
	}
	if o.WebShelled == 0 {
		o.WebShelled = max(1, n/250)
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x5ca7))
	vulnBuilds := []string{Build2016CU19, Build2019CU8, Build2013CU23}
	okBuilds := []string{Build2016CU23Aug, Build2019CU15Aug, BuildSEOct, Build2019CU14Feb, Build2019CU11Nov}
	nonEx := []Kind{NotExchange, IISNTLM, CatchAll}
	nVuln, nNon, nSlow := int(float64(n)*o.Vulnerable+0.5), int(float64(n)*o.NotExchange+0.5), int(float64(n)*o.Slow+0.5)
	out := make([]Config, n)
	for i := range out {
		var c Config
		switch {
		case i < nVuln:
			c = Config{Kind: Exchange, Build: vulnBuilds[i%len(vulnBuilds)], SSRF: true, ProxyShell: true, ProxyToken: true, FrownyXSS: true}
			if i < o.WebShelled {
				c.WebShells = []string{WebShellSupp0rt}
			}
		case i < nVuln+nNon:
			c = Config{Kind: nonEx[i%len(nonEx)]}
		case i < nVuln+nNon+n/20:
			// CU known only from the page: ECP (and so the manifest) not published, a common hardening.
			c = Config{Kind: Exchange, Build: Build2016CU19May, NoManifest: true}
		default:
			c = Config{Kind: Exchange, Build: okBuilds[i%len(okBuilds)], VersionHeader: true}
		}
		c.Computer = fmt.Sprintf("EX%04d", i+1)
		c.RootRedirect = true
		out[i] = c
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	for i := range nSlow {
		out[i].Delay = o.SlowDelay
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
