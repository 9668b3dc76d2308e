package rules

import (
	"slices"
	"strconv"
)

// Choice is one IKE/IPsec setting that both clouds accept, in each cloud's
// name. The change form offers these in its structured policy fields, so
// a policy picked there is never one either side refuses.
type Choice struct {
	// AWS is the tunnel option's value (AES256-GCM-16, SHA2-256, "14").
	AWS string
	// Azure and AzurePFS are the custom IPsec policy's names: the IKE
	// (phase 1) and IPsec (phase 2) spelling, which differ only for DH
	// groups (DHGroup14 and PFS2048).
	Azure, AzurePFS string
	// Group is the DH group number; 0 for algorithms.
	Group int
}

// EncryptionChoices are the ciphers in both AWS's phase 1 and phase 2
// lists and in both of Azure's (IKE and IPsec) lists.
func EncryptionChoices() []Choice {
	return []Choice{{AWS: "AES256", Azure: "AES256"}, {AWS: "AES128", Azure: "AES128"},
		{AWS: "AES256-GCM-16", Azure: "GCMAES256"}, {AWS: "AES128-GCM-16", Azure: "GCMAES128"}}
}

// IntegrityChoices are the hashes in AWS's lists and in both of Azure's:
// Azure's IPsec integrity has no SHA384, so SHA2-384 and SHA2-512 are left
// to the YAML.
func IntegrityChoices() []Choice {
	return []Choice{{AWS: "SHA2-256", Azure: "SHA256"}, {AWS: "SHA1", Azure: "SHA1"}}
}

// DHGroupChoices are the DH groups AWS allows in both phases and Azure
// names for both its IKE DH group and its PFS group, Microsoft's
// preferred names first.
func DHGroupChoices() []Choice {
	return []Choice{
		{AWS: "14", Azure: "DHGroup14", AzurePFS: "PFS2048", Group: 14},
		{AWS: "19", Azure: "ECP256", AzurePFS: "ECP256", Group: 19},
		{AWS: "20", Azure: "ECP384", AzurePFS: "ECP384", Group: 20},
		{AWS: "24", Azure: "DHGroup24", AzurePFS: "PFS24", Group: 24},
		{AWS: "2", Azure: "DHGroup2", AzurePFS: "PFS2", Group: 2},
	}
}

// Phase1LifetimeChoices and Phase2LifetimeChoices are lifetimes (seconds)
// inside AWS's ranges (phase 1 900-28800, phase 2 900-3600) and, for
// phase 2, above Azure's SA minimum of 300 s. Azure's IKE SA lifetime is
// fixed (28800 s), so phase 1 applies to AWS alone.
func Phase1LifetimeChoices() []int { return []int{awsP1Default, 14400, 7200} }

// Phase2LifetimeChoices: see Phase1LifetimeChoices.
func Phase2LifetimeChoices() []int { return []int{awsP2Default, 2700, 1800, 900} }

// AWSTunnelDefault is what AWS applies to a tunnel option left unset, named
// as ModifyVpnTunnelOptions names it (Phase1DHGroupNumbers), as the values
// that set it explicitly: a rollback of an option that was at its default
// sets these. Nil where AWS fixes no documented default: the DPD timeout
// (30 in the older guide, 40 in the current one), the inside CIDR (picked
// at random) and the key.
func AWSTunnelDefault(member string) []string {
	groups := func(gs []int) []string {
		out := make([]string, len(gs))
		for i, g := range gs {
			out[i] = strconv.Itoa(g)
		}
		return out
	}
	switch member {
	case "IKEVersions":
		return slices.Clone(awsIKE)
	case "Phase1EncryptionAlgorithms", "Phase2EncryptionAlgorithms":
		return slices.Clone(awsEncryptionNames)
	case "Phase1IntegrityAlgorithms", "Phase2IntegrityAlgorithms":
		return slices.Clone(awsIntegrityNames)
	case "Phase1DHGroupNumbers":
		return groups(awsPhase1DH)
	case "Phase2DHGroupNumbers":
		return groups(awsPhase2DH)
	case "Phase1LifetimeSeconds":
		return []string{strconv.Itoa(awsP1Default)}
	case "Phase2LifetimeSeconds":
		return []string{strconv.Itoa(awsP2Default)}
	case "StartupAction":
		return []string{"add"}
	}
	return nil
}
