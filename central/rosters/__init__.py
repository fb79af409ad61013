"""Terminal rosters: the guards each terminal expects, with their cards, faces and verdict of the day."""
