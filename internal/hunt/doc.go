// Package hunt runs one hunt over one or more pieces of evidence (one per
// server): it finds the logs, event logs and files in each evidence tree,
// parses them in parallel, runs the rules, joins what belongs together
// (front-end and back-end records of one request, a web shell file and the
// requests to it, the process it started), decides attempted versus
// succeeded, measures log coverage and its gaps, and gives each host a
// verdict. A bundle from exhunt collect is read with its manifest
// (bundle.go): the server's file times and paths, ExSetup.exe's version,
// what the collector could not read, and a hash check of what is read.
//
// It does not parse formats itself (iislog, exlog, eventlog do), define
// detections (the rule pack and file checks do) or store results.
package hunt
