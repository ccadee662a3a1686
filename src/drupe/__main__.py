from drupe.cli import main

main()
