"""People: who acts (actors), who may act on what (access), and the directory of users and departments."""
