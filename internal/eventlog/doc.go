// Package eventlog reads Windows XML event log files (.evtx) offline and
// turns every event record into an evidence.Record: channel, provider,
// event id, level, time, computer, and the EventData / UserData values by
// name, so that Sigma rules can match them.
//
// It streams one 64 KiB chunk at a time from an io.ReaderAt, never holding
// the whole file, and recovers from dirty, truncated or corrupt files: a
// chunk whose checksum is wrong is still salvaged record by record, a record
// that does not parse is counted and skipped, and Stats says what was lost.
//
// The BinXML decoder is our own (binxml.go). www.velocidex.com/golang/evtx
// v0.2.0, the only maintained pure-Go candidate that installs here (see
// ../shared/research/go-deps.md §2), was measured and rejected as the
// production parser: on crafted input it loops forever on a record whose
// size field is 0 and allocates without bound on a huge template argument
// count, and its interface{}/ordered-dict output is several times slower.
// It is kept as a test-only oracle (oracle_test.go) that our field values
// are compared against on real samples.
//
// It does not resolve message strings from provider DLLs (offline evidence
// has none), does not read live logs through the Windows API, and does not
// judge events: rules do.
//
// Field names in a record's Fields:
//
//	Channel, Provider_Name, Provider_Guid, EventID (qualifiers stripped,
//	decimal), EventID_Qualifiers, Version, Level (numeric), Task, Opcode,
//	Keywords, TimeCreated, EventRecordID, Computer, Execution_ProcessID,
//	Execution_ThreadID, Security_UserID, Correlation_ActivityID,
//	Correlation_RelatedActivityID
//
//	every <EventData><Data Name="X"> as X, unnamed <Data> items joined
//	with "\n" as Data (classic and MSExchange events), <Binary> as Binary,
//	and every leaf element under <UserData> by its element name.
//
// Repeated names keep every value, joined with "\n". Name lookup through
// Get is exact first, then case-insensitive, like evidence.FoldMap.
package eventlog
