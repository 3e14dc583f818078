private rule AspTag
{
    strings:
        $tag = "<%@ Page" nocase
    condition:
        $tag in (0..16)
}
