"""Role-play scenario cards, rubrics, submissions and grading."""
