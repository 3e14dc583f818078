rule WEBSHELL_Test_Scored {
	meta:
		description = "scored web shell rule"
		score = 80
	strings:
		$a = "scored-marker"
	condition:
		$a
}

rule WEBSHELL_Test_Low_Score {
	meta:
		score = 40
	strings:
		$a = "low-marker"
	condition:
		$a
}

rule Generic_Test_Tagged : T1059_001 webshell {
	strings:
		$a = "tagged-marker"
	condition:
		$a
}

rule Uses_External_Vars {
	condition:
		filepath contains "\\Cache\\" and extension == ".js"
}
