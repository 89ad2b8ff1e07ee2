package web

// Translations of the OpenURL intake (openurl.go) and the sources report.
func init() {
	addMessages(map[string][2]string{
		"openurl.no_match": {"馆际互借联合目录中没有找到唯一对应的记录。已根据您来源页面的信息填好申请单，请核对后提交。",
			"No single matching record was found in the union catalogue. The form below is filled in from the page you came from: please check it and submit."},
		"openurl.copy": {"您请求的是期刊文章或图书的部分章节，已根据来源页面的信息填好文献传递申请单，请核对后提交。",
			"You asked for a journal article or a part of a book: the copy request form below is filled in from the page you came from. Please check it and submit."},
		"openurl.nothing": {"来源链接中没有题名、ISBN、ISSN 或 DOI，无法自动填写，请手工填写申请单。",
			"The link carried no title, ISBN, ISSN or DOI, so nothing could be filled in: please fill in the form."},
		"report.sources": {"申请来源统计", "Request sources"},
	})
}
