package rules_test

import (
	"fmt"
	"testing/fstest"

	"github.com/exhunt/exhunt/internal/evidence"
	"github.com/exhunt/exhunt/internal/rules"
)

const exampleRule = `title: Successful Exchange ProxyShell Attack
id: 992be1eb-e5da-437e-9a54-6d13b57bb4d8
tags:
    - attack.initial-access
    - attack.t1190
    - cve.2021-34473
logsource:
    category: webserver
detection:
    selection_auto:
        cs-uri-query|contains: '/autodiscover.json'
    selection_uri:
        cs-uri-query|contains:
            - '/powershell'
            - '/mapi/nspi'
    selection_success:
        sc-status:
            - 200
            - 301
    condition: all of selection_*
level: critical
`

func ExampleParse() {
	rs, errs := rules.Parse("proxyshell.yml", []byte(exampleRule))
	fmt.Println(len(rs), len(errs))
	r := rs[0]
	fmt.Println(r.Title, r.Level, r.CVEs(), r.Attack())

	_, errs = rules.Parse("bad.yml", []byte("title: no id\ndetection: {sel: {a: b}, condition: sel}\n"))
	fmt.Println(errs[0])
	// Output:
	// 1 0
	// Successful Exchange ProxyShell Attack critical [CVE-2021-34473] [T1190]
	// bad.yml:1: rule (no id): rule has no id
}

func ExampleMatcher_Match() {
	set, _ := rules.LoadFS(fstest.MapFS{"web/proxyshell.yml": {Data: []byte(exampleRule)}}, ".")
	iis := evidence.LogSource{Category: "webserver", Product: "windows", Service: "iis"}
	m := set.ForSource(iis) // once per file
	for _, q := range []string{
		"/autodiscover/autodiscover.json?@evil.com/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.com",
		"/autodiscover/autodiscover.xml",
	} {
		rec := &evidence.Record{Log: iis, Fields: evidence.Map{"cs-uri-query": q, "sc-status": "200"}}
		hit := false
		m.Match(rec, func(r *rules.Rule) {
			hit = true
			fmt.Println("match:", r.ID, r.Path)
		})
		if !hit {
			fmt.Println("no match")
		}
	}
	// Output:
	// match: 992be1eb-e5da-437e-9a54-6d13b57bb4d8 web/proxyshell.yml
	// no match
}

func ExampleMatcher_Candidate() {
	set, _ := rules.LoadFS(fstest.MapFS{"proxyshell.yml": {Data: []byte(exampleRule)}}, ".")
	m := set.ForSource(evidence.LogSource{Category: "webserver", Product: "windows", Service: "iis"})
	// Skip lines no rule can match before parsing them.
	fmt.Println(m.Candidate([]byte("2021-08-10 01:02:03 10.0.0.1 GET /Autodiscover/autodiscover.json @x/mapi/nspi 443 - 1.2.3.4 - - 200 0 0 10")))
	fmt.Println(m.Candidate([]byte("2021-08-10 01:02:03 10.0.0.1 GET /owa/ - 443 - 1.2.3.4 Outlook-iOS/709 - 200 0 0 10")))
	// Output:
	// true
	// false
}

func ExampleSet_ForSource() {
	const procRule = `title: Webshell child process
id: 8202070f-edeb-4d31-a010-a26c72ac5600
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        ParentImage|endswith: '\w3wp.exe'
        Image|endswith: '\cmd.exe'
    condition: selection
level: high
`
	set, _ := rules.LoadFS(fstest.MapFS{"proc.yml": {Data: []byte(procRule)}}, ".")
	// A Security 4688 record: the rule's Image and ParentImage are read
	// from NewProcessName and ParentProcessName.
	sec := evidence.LogSource{Product: "windows", Service: "security"}
	rec := &evidence.Record{Log: sec, Fields: evidence.FoldMap{
		"Channel": "Security", "EventID": "4688",
		"NewProcessName":    `C:\Windows\System32\cmd.exe`,
		"ParentProcessName": `C:\Windows\System32\inetsrv\w3wp.exe`,
	}}
	m := set.ForSource(sec)
	fmt.Println(m.Len())
	m.Match(rec, func(r *rules.Rule) { fmt.Println(r.Title) })
	fmt.Println(set.ForSource(evidence.LogSource{Product: "windows", Service: "system"}).Len())
	// Output:
	// 1
	// Webshell child process
	// 0
}

func ExampleBuiltin() {
	set, errs := rules.Builtin()
	extra, _ := rules.Parse("user.yml", []byte(exampleRule))
	user, _ := rules.NewSet(extra...)
	set.Merge(user) // user rules replace built-in rules with the same id
	fmt.Println(len(errs) == 0, set.Len() >= 1)
	// Output:
	// true true
}
