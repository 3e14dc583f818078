// Test rules for CompileFS: one rule here, one from an include.
include "common/tags.yar"

rule Chopper_Eval_Request : webshell aspx
{
    meta:
        description = "China Chopper style eval of a request parameter"
        score = 80
    strings:
        $eval = /eval\s*\(\s*Request(\.Item)?\s*\[/ nocase
        $unsafe = "\"unsafe\"" private
    condition:
        AspTag and filesize < 2KB and all of them
}
