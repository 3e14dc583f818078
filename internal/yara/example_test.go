package yara_test

import (
	"fmt"
	"os"

	"github.com/exhunt/exhunt/internal/yara"
)

func ExampleCompile() {
	rules, errs := yara.Compile(yara.Source{Name: "chopper.yar", Data: []byte(`
rule ChinaChopper_Eval : webshell {
    meta:
        reference = "https://www.fireeye.com/blog/threat-research/2013/08/breaking-down-the-china-chopper-web-shell-part-i.html"
    strings:
        $eval = /eval\s*\(\s*Request(\.Item)?\s*\[/ nocase
        $unsafe = "\"unsafe\"" wide ascii
    condition:
        filesize < 1KB and all of them
}

import "pe"
rule Needs_PE { condition: pe.is_dll() }
`)})
	for _, e := range errs {
		fmt.Println("skipped:", e)
	}
	shell := []byte(`<%@ Page Language="Jscript"%><%eval(Request.Item["x"],"unsafe");%>`)
	matches, err := rules.Scan(shell, yara.Vars{Filename: "ice.aspx", Extension: ".aspx"})
	if err != nil {
		fmt.Println(err)
	}
	for _, m := range matches {
		fmt.Println(m.Namespace, m.Rule, m.Tags)
		for _, s := range m.Strings {
			fmt.Printf("  %s at %d: %q\n", s.ID, s.Offset, s.Data)
		}
	}
	// Output:
	// skipped: chopper.yar:13: rule Needs_PE: module "pe" is not supported (pe.is_dll)
	// chopper.yar ChinaChopper_Eval [webshell]
	//   $eval at 31: "eval(Request.Item["
	//   $unsafe at 54: "\"unsafe\""
}

func ExampleCompileFS() {
	rules, errs := yara.CompileFS(os.DirFS("testdata"), "rules")
	fmt.Println(len(errs), "rule(s) skipped;", rules.Len(), "compiled:", rules.RuleNames())
	f, err := os.Open("testdata/samples/chopper.aspx")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		fmt.Println(err)
		return
	}
	matches, err := rules.ScanReader(f, st.Size(), yara.Vars{Filename: "chopper.aspx", Filepath: f.Name(), Extension: ".aspx"})
	if err != nil {
		fmt.Println(err)
	}
	for _, m := range matches {
		fmt.Println(m.Namespace+":"+m.Rule, m.Meta["score"])
	}
	// Output:
	// 1 rule(s) skipped; 4 compiled: [rules/broken.yara:Still_Works rules/common/tags.yar:AspTag rules/webshell.yar:AspTag rules/webshell.yar:Chopper_Eval_Request]
	// rules/webshell.yar:Chopper_Eval_Request 80
}
