package rules

import (
	"fmt"
	"slices"
	"testing"
)

// The form's choices must be values both clouds' rule lists accept: a
// policy picked in the form is never refused for its names.
func TestChoicesAreAcceptedByBothClouds(t *testing.T) {
	if err := checkChoices(); err != nil {
		t.Errorf("a form choice is not in the rule lists: %v", err)
	}
}

// checkChoices reports a choice that one of the rule lists would refuse; a
// test keeps the two in step.
func checkChoices() error {
	for _, c := range EncryptionChoices() {
		if _, ok := awsEncryption[c.AWS]; !ok || !slices.Contains(azureIKEEncryption, c.Azure) || !slices.Contains(azureIPsecEncryption, c.Azure) || awsEncryption[c.AWS] != c.Azure {
			return fmt.Errorf("encryption %+v", c)
		}
	}
	for _, c := range IntegrityChoices() {
		if _, ok := awsIntegrity[c.AWS]; !ok || !slices.Contains(azureIKEIntegrity, c.Azure) || !slices.Contains(azureIPsecIntegrity, c.Azure) || awsIntegrity[c.AWS] != c.Azure {
			return fmt.Errorf("integrity %+v", c)
		}
	}
	for _, c := range DHGroupChoices() {
		if !slices.Contains(awsPhase1DH, c.Group) || !slices.Contains(awsPhase2DH, c.Group) || azureDHGroup[c.Azure] != c.Group || azurePFS[c.AzurePFS] != c.Group || fmt.Sprint(c.Group) != c.AWS {
			return fmt.Errorf("DH group %+v", c)
		}
	}
	for _, s := range Phase1LifetimeChoices() {
		if s < awsP1Min || s > awsP1Max {
			return fmt.Errorf("phase 1 lifetime %d", s)
		}
	}
	for _, s := range Phase2LifetimeChoices() {
		if s < awsP2Min || s > awsP2Max || s < azureSAMin {
			return fmt.Errorf("phase 2 lifetime %d", s)
		}
	}
	return nil
}
