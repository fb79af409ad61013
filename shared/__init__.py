"""Code both tiers run, knowing nothing of terminals or central: the face engine, durable file writing."""
