package scan

// Result is what scanning one target yields. Its JSON form is the line
// `exhunt scan --format jsonl` writes per host (type "host").
type Result struct {
	Type string `json:"type"` // always "host"
	// Target is the input entry exactly as given (an IP, a CIDR, a name,
	// host:port or a URL with its path), so results join back to the input;
	// a CIDR's hosts share it and differ in ip.
	Target string `json:"target"`
	IP     string `json:"ip"`
	Port   int    `json:"port"`
	// Scheme is the scheme that answered, or on an error the last one tried.
	Scheme string `json:"scheme,omitempty"`
	// URL is the base URL that answered: scheme, host as given (or the
	// address of a CIDR member), port unless the scheme's default, and the
	// target's base path (OWA published under another path). Empty on error.
	URL string `json:"url"`

	// Exchange is true only when the host is judged Exchange (ExchangeState
	// "yes"); it stays a boolean so every v1 reader keeps working.
	// ExchangeState adds the third state: "yes", "no" (a known other
	// product, a look-alike, or nothing Exchange-like answered) or
	// "unidentified" (answers like IIS/Exchange but no Exchange signal
	// held). Signals are the observations behind the state, in every state.
	Exchange      bool     `json:"exchange"`
	ExchangeState string   `json:"exchange_state"`
	Signals       []string `json:"signals,omitempty"`
	// OWALookalike: an OWA logon page copied from another host (a phishing
	// kit or a honeypot); never Exchange.
	OWALookalike bool   `json:"owa_lookalike,omitempty"`
	ServerHeader string `json:"server_header,omitempty"` // Server header of the first answer
	Requests     int    `json:"requests"`                // HTTP requests sent to this target

	// Build is the most precise build any method gave; Precision says
	// "full" (a.b.c.d: the security update is known) or "cu" (a.b.c: the
	// cumulative update is known, the security update is not).
	Build        string        `json:"build"`
	Precision    string        `json:"build_precision,omitempty"`
	BuildMethods []BuildMethod `json:"build_methods"`
	Conflicts    []string      `json:"build_conflicts,omitempty"`

	Product         string        `json:"product"`
	CU              string        `json:"cu"`
	Update          string        `json:"update"`
	CVEs            []string      `json:"cves"`
	SUDependentCVEs []string      `json:"su_dependent_cves,omitempty"`
	KEVCVEs         []string      `json:"kev_cves,omitempty"` // of cves and su_dependent_cves, those on CISA's KEV list
	Conditional     []Conditional `json:"conditional,omitempty"`
	MissingUpdates  []string      `json:"missing_updates"`
	Notes           []string      `json:"notes,omitempty"`

	Active    []Check    `json:"active"`
	WebShells []WebShell `json:"webshells"`
	TLS       *TLSInfo   `json:"tls"`
	NTLM      *NTLMInfo  `json:"ntlm,omitempty"`
	FEServer  string     `json:"fe_server,omitempty"`

	// Exposed: the build has definite CVEs or an active probe confirmed
	// one. WebShelled: a web shell path was judged present.
	Exposed    bool   `json:"exposed"`
	WebShelled bool   `json:"webshelled"`
	Error      string `json:"error"`

	addr   string // host:port scanned, for the text table of error records
	marked bool   // some answer carried a header only Exchange sends (see fromExchange)
}

// ExchangeState values.
const (
	StateYes          = "yes"
	StateNo           = "no"
	StateUnidentified = "unidentified"
)

// BuildMethod is one way the build was read, and what it gave.
type BuildMethod struct {
	Method     string `json:"method"` // x-owa-version, exporttool-manifest, owa-resource-path, ...
	Build      string `json:"build"`
	Precision  string `json:"precision"`  // full | cu
	Confidence string `json:"confidence"` // high | medium | low
	Source     string `json:"source"`     // request that gave it, e.g. "GET /owa/auth/logon.aspx"
}

// Conditional is a CVE whose exposure depends on configuration.
type Conditional struct {
	CVE       string `json:"cve"`
	Condition string `json:"condition"`
	Note      string `json:"note,omitempty"`
}

// Check is the outcome of one active probe. Request is exactly what was sent.
type Check struct {
	Check    string `json:"check"`  // e.g. CVE-2021-26855
	Result   string `json:"result"` // vulnerable | not-vulnerable | blocked | inconclusive
	Evidence string `json:"evidence"`
	Request  string `json:"request"`
}

// Result values of a Check; Verdicts defines each once. Earlier versions
// also wrote "mitigated" (now blocked) and "reachable" (now judged with the
// build); readers of v1 records may still meet them.
const (
	Vulnerable    = "vulnerable"
	NotVulnerable = "not-vulnerable"
	Blocked       = "blocked"
	Inconclusive  = "inconclusive"
)

// WebShell is one census path judged present or worth a look.
type WebShell struct {
	Path       string `json:"path"`
	Status     string `json:"status"` // found | inconclusive
	Evidence   string `json:"evidence"`
	HTTPStatus int    `json:"http_status"` // the census request's HTTP status
}

// TLSInfo describes the leaf certificate the target presented.
type TLSInfo struct {
	Names      []string `json:"names"`
	Expired    bool     `json:"expired"`
	SelfSigned bool     `json:"self_signed"`
	NotAfter   string   `json:"not_after,omitempty"`
}

// Assessment is what the build knowledge base says about a build. It
// mirrors exchange.Assessment so this package compiles and tests without
// it; cmd/exhunt adapts one to the other.
type Assessment struct {
	Build, Product, CU, Update string
	Known                      bool
	Supported                  bool // the product line and CU still get security updates
	Exposed                    bool // the knowledge base's verdict: a CVE, or an unsupported product
	MissingUpdates             []string
	CVEs                       []string
	SUDependentCVEs            []string
	KEVCVEs                    []string // on CISA's Known Exploited Vulnerabilities list
	Conditional                []Conditional
	Notes                      []string
}

// Assessor looks a build string (a.b.c or a.b.c.d) up in the knowledge base.
type Assessor interface {
	Assess(build string) (Assessment, error)
}

// Candidater is an optional Assessor method: the known full builds of a
// CU line (a.b.c), newest first. With it a CU-only fingerprint is refined
// by probing ECP's versioned export-tool folders.
type Candidater interface {
	Candidates(cu string) []string
}
