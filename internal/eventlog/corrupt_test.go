package eventlog

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// instance writes a template instance whose definition (body) follows
// inline, then count value descriptors and the values.
func (x *bx) instance(body func(*bx), count uint32, vals ...[]byte) {
	x.u8(0x0c)
	x.u8(0x01)
	x.u32(0xabcd)
	x.u32(uint32(x.pos() + 4)) // definition is here
	x.u32(0)
	x.b = append(x.b, make([]byte, 16)...) // GUID
	sizeAt := len(x.b)
	x.u32(0)
	start := len(x.b)
	body(x)
	binary.LittleEndian.PutUint32(x.b[sizeAt:], uint32(len(x.b)-start))
	x.u32(count)
	for _, v := range vals {
		x.u16(uint16(len(v)))
		x.u8(typeWString)
		x.u8(0)
	}
	for _, v := range vals {
		x.b = append(x.b, v...)
	}
}

// crafted wraps a BinXML writer into a record body.
func crafted(write func(x *bx)) func(base int) []byte {
	return func(base int) []byte {
		x := &bx{base: base}
		x.fragment()
		write(x)
		x.eof()
		return x.b
	}
}

func TestReadTruncated(t *testing.T) {
	full := readFile(t, "testdata/sysmon_mimikatz_lsass.evtx")
	// Records sit at chunk offsets 512, 4392 and 5928: cut inside the second.
	cut := full[:fileHeaderSize+5000]
	recs, st := readAll(t, cut)
	if len(recs) != 1 || recs[0].Line != 82849 {
		t.Fatalf("got %d records, want only the first (82849)", len(recs))
	}
	want := Stats{Chunks: 1, BadChunks: 1, Records: 1, BadRecords: 1}
	if st.Chunks != want.Chunks || st.BadChunks != want.BadChunks || st.Records != want.Records || st.BadRecords != want.BadRecords {
		t.Errorf("stats %+v, want counts %+v", st, want)
	}
	if !strings.Contains(strings.Join(st.Warnings, "\n"), "truncated") {
		t.Errorf("warnings do not say truncated: %q", st.Warnings)
	}
}

func TestReadCorruptChunks(t *testing.T) {
	sysmon := readFile(t, "testdata/sysmon_mimikatz_lsass.evtx")[fileHeaderSize:]
	security := readFile(t, "testdata/security_4756.evtx")[fileHeaderSize:]
	good := func() [][]byte {
		return [][]byte{bytes.Clone(sysmon[:chunkSize]), bytes.Clone(security[:chunkSize])}
	}
	test := func(name string, corrupt func(c [][]byte), wantRecords, wantBadChunks, wantBadRecords int64) {
		t.Helper()
		c := good()
		corrupt(c)
		recs, st := readAll(t, synthFile(c...))
		if st.Records != wantRecords || int64(len(recs)) != wantRecords || st.BadChunks != wantBadChunks || st.BadRecords != wantBadRecords || st.Chunks != 2 {
			t.Errorf("%s: stats %+v; want %d records, %d bad chunks, %d bad records", name, st, wantRecords, wantBadChunks, wantBadRecords)
		}
		if wantBadChunks+wantBadRecords > 0 && len(st.Warnings) == 0 {
			t.Errorf("%s: no warning", name)
		}
	}
	test("clean", func([][]byte) {}, 18, 0, 0)
	// A wrong record-data checksum (a dirty or hand-edited chunk): the
	// chunk is counted bad but every record still validates and comes out.
	test("data checksum", func(c [][]byte) { c[0][0x34] ^= 0xff }, 18, 1, 0)
	test("header checksum", func(c [][]byte) { c[1][0x7c] ^= 0xff }, 18, 1, 0)
	// Chunk magic gone: that chunk's 3 records are lost, the other 15 stay.
	test("chunk magic", func(c [][]byte) { c[0][0] = 'X' }, 15, 1, 0)
	// The second record's magic is broken: it is skipped, the parser
	// resyncs on the third.
	test("record magic", func(c [][]byte) { c[0][4392] = 0 }, 17, 1, 1)
	// A size of 0 would loop forever in a naive reader.
	test("record size 0", func(c [][]byte) { binary.LittleEndian.PutUint32(c[0][4392+4:], 0) }, 17, 1, 1)
	// Garbage inside the BinXML of the first record: only it is lost.
	test("binxml garbage", func(c [][]byte) { c[0][512+24] = 0xee }, 17, 1, 1)
}

func TestReadCraftedRecords(t *testing.T) {
	event := func(x *bx) {
		x.open("Event", false)
		x.closeEmpty()
		x.eof()
	}
	test := func(name string, body func(base int) []byte, wantErr string) {
		t.Helper()
		recs, st := readAll(t, synthFile(synthChunk(1, body, classicEvent("System", "EventLog", "104", "4"))))
		// The crafted record is lost; the clean one after it must survive.
		if len(recs) != 1 || st.BadRecords != 1 {
			t.Fatalf("%s: %d records, stats %+v; want 1 good and 1 bad", name, len(recs), st)
		}
		if v, _ := recs[0].Fields.Get("EventID"); v != "104" {
			t.Errorf("%s: surviving record EventID %q", name, v)
		}
		if w := strings.Join(st.Warnings, "\n"); !strings.Contains(w, wantErr) {
			t.Errorf("%s: warnings %q do not contain %q", name, w, wantErr)
		}
	}
	test("value count past the end", crafted(func(x *bx) { x.instance(event, 0xffffffff) }), "cannot fit")
	test("template refers to itself", crafted(func(x *bx) {
		x.u8(0x0c)
		x.u8(0x01)
		x.u32(1)
		x.u32(uint32(x.pos() + 4))
		x.u32(0)
		x.b = append(x.b, make([]byte, 16)...)
		x.u32(11)
		x.u8(0x0c) // the body instantiates the template being defined
		x.u8(0x01)
		x.u32(1)
		x.u32(uint32(x.pos() - 30)) // the definition offset above
		x.u8(0)
		x.u32(0)
	}), "refers to itself")
	test("elements nested too deep", crafted(func(x *bx) {
		for range 100 {
			x.open("a", false)
			x.closeStart()
		}
	}), "too deeply")
	// 3000 references to one 20 KB value would render 60 MB of text.
	big := utf16le(strings.Repeat("A", 10000))
	test("output bomb", crafted(func(x *bx) {
		x.instance(func(x *bx) {
			x.fragment()
			x.open("Event", false)
			x.closeStart()
			x.open("UserData", false)
			x.closeStart()
			x.open("X", false)
			x.closeStart()
			for range 3000 {
				x.subst(0, typeWString)
			}
			x.end()
			x.end()
			x.end()
			x.eof()
		}, 1, big)
	}), "parse budget")
	// 1000 UserData leaves of one name: appending each to the joined
	// value must not cost quadratic time.
	test("repeated leaves", crafted(func(x *bx) {
		x.instance(func(x *bx) {
			x.fragment()
			x.open("Event", false)
			x.closeStart()
			x.open("UserData", false)
			x.closeStart()
			for range 1000 {
				x.open("X", false)
				x.closeStart()
				x.subst(0, typeWString)
				x.end()
			}
			x.end()
			x.end()
			x.eof()
		}, 1, big)
	}), "parse budget")
	// One System attribute built from 3000 substitutions of the value.
	test("attribute bomb", crafted(func(x *bx) {
		x.instance(func(x *bx) {
			x.fragment()
			x.open("Event", false)
			x.closeStart()
			x.open("System", false)
			x.closeStart()
			x.open("Provider", true)
			x.attr("Name", false)
			for range 3000 {
				x.subst(0, typeWString)
			}
			x.closeEmpty()
			x.end()
			x.end()
			x.eof()
		}, 1, big)
	}), "parse budget")
	test("unknown token", crafted(func(x *bx) { x.u8(0x3f) }), "unknown binxml token")
}

func TestUserDataFlattened(t *testing.T) {
	// Security 1102 carries its fields in UserData, not EventData.
	body := crafted(func(x *bx) {
		x.open("Event", false)
		x.closeStart()
		x.open("System", false)
		x.closeStart()
		x.elemAttr("Provider", "Name", "Microsoft-Windows-Eventlog")
		x.elem("EventID", "1102")
		x.elem("Channel", "Security")
		x.end()
		x.open("UserData", false)
		x.closeStart()
		x.open("LogFileCleared", true)
		x.attr("xmlns", false)
		x.text("http://manifests.microsoft.com/win/2004/08/windows/eventlog")
		x.closeStart()
		x.elem("SubjectUserSid", "S-1-5-21-1-2-3-500")
		x.elem("SubjectUserName", "attacker")
		x.end()
		x.end()
		x.end()
	})
	recs, st := readAll(t, synthFile(synthChunk(7, body)))
	if st.Records != 1 {
		t.Fatalf("stats %+v", st)
	}
	got := pick(recs[0], "EventID", "Channel", "SubjectUserSid", "SubjectUserName", "LogFileCleared", "xmlns")
	want := map[string]string{"EventID": "1102", "Channel": "Security", "SubjectUserSid": "S-1-5-21-1-2-3-500", "SubjectUserName": "attacker"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}
