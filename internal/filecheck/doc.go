// Package filecheck is the file-hunting detector of `exhunt hunt`: it
// decides which files of an evidence tree are worth reading (the
// web-facing IIS and Exchange folders, drive roots, temp folders and
// ProgramData, or everything) and turns one file's bytes into findings.
//
// Detections are data. The Exchange-aware checks (pages in aspnet_client,
// non-stock pages in owa\auth and ecp\auth, virtual-directory settings
// dumps carrying script, LSASS minidumps, staged 7z/RAR/ZIP archives,
// China Chopper and other eval-on-request shells, ProcDump, Nishang,
// PowerCat and Covenant artefacts) are YARA rules in the embedded pack
// (pack/*.yar) that use the external variables filename, filepath and
// extension. Published hashes and web-shell file names of the 2021
// Exchange waves are CSV data under iocs/ (see iocs/SOURCES.md). Users add
// YARA rule folders (signature-base, NSA) unchanged.
//
// It does not walk evidence, read files, correlate findings with logs or
// set a finding's kind, time or outcome: package hunt does that and calls
// a *Checker through its FileDetector interface. It never writes.
package filecheck

//go:generate bash iocs/gen.sh ../../../shared/corpus
