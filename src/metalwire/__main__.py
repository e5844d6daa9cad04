from metalwire.cli import main

main()
