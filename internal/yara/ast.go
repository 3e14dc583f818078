package yara

import (
	"regexp"

	"github.com/wasilibs/go-re2"
)

// op is the operator of a condition expression node.
type op uint8

const (
	opBool      op = iota // n != 0
	opInt                 // n
	opFloat               // f
	opText                // s
	opFilesize            // filesize
	opVar                 // loop variable number n
	opExt                 // external variable n (extFilename...)
	opRule                // rule reference, n = rule index
	opStr                 // $a: n = string index (-1: the loop's current string)
	opStrCount            // #a [in (a..b)]
	opStrOffset           // @a[a]
	opStrLength           // !a[a]
	opStrAt               // $a at a
	opStrIn               // $a in (a..b)
	opOf                  // quant of strs [in (a..b)]
	opForOf               // for quant of strs : (body)
	opForIn               // for quant var in range/enum : (body)
	opAnd                 // a and b
	opOr                  // a or b
	opNot                 // not a
	opDefined             // defined a
	opNeg                 // -a
	opBitNot              // ~a
	opBinary              // a <sym> b, arithmetic, bitwise and comparisons
	opMatches             // a matches re
	opCall                // fn(args)
)

// Quantifier kinds of "of" and "for" expressions.
const (
	quantAny = iota
	quantAll
	quantNone
	quantExpr    // quant expression in a
	quantPercent // quant expression in a, in percent
)

// External variable numbers.
const (
	extFilename = iota
	extFilepath
	extExtension
	extFiletype
)

var extNames = map[string]int64{"filename": extFilename, "filepath": extFilepath, "extension": extExtension, "filetype": extFiletype}

type expr struct {
	op    op
	sym   string // operator symbol for opBinary, function name for opCall
	n     int64
	f     float64
	s     string
	a, b  *expr   // operands; range low/high for in-expressions is (lo, hi)
	lo    *expr   // range low (opStrIn, opStrCount with range, opOf with range, opForIn)
	hi    *expr   // range high
	args  []*expr // call arguments, for-in enumeration
	body  *expr   // for body
	quant int
	strs  []int // string indices for of/for-of
	re    *re2.Regexp
	ascii *regexp.Regexp // same pattern for ASCII values, see condRegex
}

// needsString reports whether e can only be true when at least one of the
// rule's strings matched. Rules whose condition needs a string are skipped
// without evaluation when none of their strings was seen by the prefilter.
func (e *expr) needsString() bool {
	switch e.op {
	case opStr, opStrAt, opStrIn:
		return true
	case opOf, opForOf:
		if e.quant == quantAny || e.quant == quantAll && len(e.strs) > 0 {
			return true
		}
		if e.quant == quantExpr && e.a.op == opInt && e.a.n >= 1 {
			return true
		}
	case opAnd:
		return e.a.needsString() || e.b.needsString()
	case opOr:
		return e.a.needsString() && e.b.needsString()
	case opBinary:
		// #a > N, #a >= N (N >= 1), #a == N (N >= 1)
		if e.a.op == opStrCount && e.a.lo == nil && e.b.op == opInt {
			switch e.sym {
			case ">":
				return e.b.n >= 0
			case ">=", "==":
				return e.b.n >= 1
			}
		}
	}
	return false
}
