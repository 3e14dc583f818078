package yara

import (
	"encoding/binary"
	"math/bits"
)

// atomTable is the multi-pattern prefilter: every string contributes one
// 4-byte lower-cased atom per form (ascii, wide, regex alternative). The
// input is lower-cased once and every 4-byte window is looked up, first
// in a bitmap indexed by a multiplicative hash (almost all windows stop
// there), then in a map from the atom to the strings that use it.
//
// This is the same job an Aho-Corasick automaton over the atoms does
// (cloudflare/ahocorasick was tried first: its nodes carry two
// [256]*node arrays, 4 KB each, which for ~30k atoms costs gigabytes and
// reports only which atoms occur, not where, so every candidate string
// had to be searched again). Fixed 4-byte atoms make a hash probe per
// input byte enough and give the hit position for direct verification.
type atomTable struct {
	bits  []uint64
	shift uint
	// slots is an open-addressing hash table from atom to refs index+1.
	slots  []slot
	sshift uint
	refs   [][]atomRef
}

type slot struct {
	key uint32
	idx int32 // index+1 into refs; 0 marks an empty slot
}

// lookup returns the refs of atom k.
func (t *atomTable) lookup(k uint32) []atomRef {
	mask := uint32(len(t.slots) - 1)
	for h := (k * hashMul2) >> t.sshift; ; h = (h + 1) & mask {
		sl := t.slots[h]
		if sl.idx == 0 {
			return nil
		}
		if sl.key == k {
			return t.refs[sl.idx-1]
		}
	}
}

// atomRef links an atom to a string: for a literal variant (lit >= 0) the
// hit is verified at position-off; for a regex (lit < 0) the hit marks
// the string as a candidate and is kept (as reAtoms[-1-lit]) to place
// the regex's search windows.
type atomRef struct {
	pat int32
	lit int32
	off int32
}

type tableBuilder struct {
	refs   map[uint32][]atomRef
	shared map[string]int // patternKey -> pattern index
}

func newTableBuilder() *tableBuilder {
	return &tableBuilder{refs: map[uint32][]atomRef{}, shared: map[string]int{}}
}

func atomKey(a []byte) uint32 { return binary.LittleEndian.Uint32(a) }

func (b *tableBuilder) add(atoms [][]byte, pi int, p *pattern) {
	if !p.deferred {
		for li, v := range p.lits {
			k := atomKey(atoms[li])
			b.refs[k] = append(b.refs[k], atomRef{pat: int32(pi), lit: int32(li), off: int32(v.atomOff)})
		}
		return
	}
	for i, a := range atoms {
		k := atomKey(a)
		b.refs[k] = append(b.refs[k], atomRef{pat: int32(pi), lit: int32(-1 - i)})
	}
}

const (
	hashMul  = 0x9E3779B1
	hashMul2 = 0x85EBCA6B
)

func (b *tableBuilder) build() atomTable {
	// About 64 bitmap bits per atom keep false probes rare while the
	// bitmap stays small enough for the L1/L2 cache.
	n := max(len(b.refs)*64, 1<<12)
	logn := bits.Len(uint(n - 1))
	t := atomTable{bits: make([]uint64, (1<<logn)/64), shift: uint(32 - logn)}
	logs := bits.Len(uint(max(len(b.refs)*4, 16) - 1))
	t.slots, t.sshift = make([]slot, 1<<logs), uint(32-logs)
	mask := uint32(len(t.slots) - 1)
	for k, refs := range b.refs {
		h := (k * hashMul) >> t.shift
		t.bits[h>>6] |= 1 << (h & 63)
		t.refs = append(t.refs, refs)
		sh := (k * hashMul2) >> t.sshift
		for t.slots[sh].idx != 0 {
			sh = (sh + 1) & mask
		}
		t.slots[sh] = slot{key: k, idx: int32(len(t.refs))}
	}
	return t
}

// prefilter runs the atom table over the lower-cased input and reports
// each hit to the scanner.
func (s *scanner) prefilter() {
	t := &s.r.table
	low := s.low
	if len(t.refs) == 0 || len(low) < atomLen {
		return
	}
	bitmap, shift := t.bits, t.shift
	mask := uint32(len(bitmap)*64 - 1)
	for i := 0; i+atomLen <= len(low); i++ {
		k := binary.LittleEndian.Uint32(low[i:])
		h := ((k * hashMul) >> shift) & mask
		if bitmap[h>>6]&(1<<(h&63)) == 0 {
			continue
		}
		for _, ref := range t.lookup(k) {
			if ref.lit < 0 {
				s.regexHit(int(ref.pat), i, int(-1-ref.lit))
				continue
			}
			s.verifyLiteral(int(ref.pat), int(ref.lit), i-int(ref.off))
		}
	}
}
