import "pe"

rule Uses_PE
{
    condition:
        pe.number_of_sections > 2
}

rule Still_Works
{
    strings:
        $a = "Sign in"
    condition:
        #a == 2
}
