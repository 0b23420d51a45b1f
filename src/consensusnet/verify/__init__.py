"""The verify workflow: claims, evidence, a verifier panel, a critic, a consensus verdict."""
